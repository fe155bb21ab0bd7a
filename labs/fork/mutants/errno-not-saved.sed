# The handler's waitpid() leaves errno = ECHILD for whatever the main program was looking at.
# file: fork.c
# expect: errno saved and restored
# hint: save errno on entry and restore it
/^\terrno = saved;$/d
