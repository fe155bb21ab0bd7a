# No SA_RESTART, and an interrupted accept() ends the accept loop: the first SIGCHLD stops the server.
# file: fork.c
# expect: SIGCHLD arrives during accept()
# hint: fails with EINTR
s/SA_RESTART | //
s|continue; /\* EINTR|break; /* EINTR|
