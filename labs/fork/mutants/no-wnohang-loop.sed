# One waitpid per SIGCHLD: signals do not queue, so children that exit together leave zombies.
# file: fork.c
# expect: no zombie after 500 connections
# hint: loop on waitpid(-1, NULL, WNOHANG)
s/while ((pid = waitpid(-1, NULL, WNOHANG)) > 0) {/if ((pid = waitpid(-1, NULL, WNOHANG)) > 0) {/
