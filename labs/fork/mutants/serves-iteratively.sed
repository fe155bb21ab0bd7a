# The parent waits for each child to finish before it accepts again: a process per connection, but one
# connection at a time, so a client that never finishes its head stops everyone (Comer's iterative server).
# file: fork.c
# expect: one client that never finishes its head
# hint: served one at a time
/^static int spawn(/,/^}/s/^\tsigchld_block(0);$/\tif (pid > 0)\n\t\twaitpid(pid, NULL, 0); \/* wait for the child to finish *\/\n\tsigchld_block(0);/
