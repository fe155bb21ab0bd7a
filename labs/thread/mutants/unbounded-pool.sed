# The pool is started, but the main thread still spawns a thread per connection: --workers bounds nothing.
# file: thread_io.c
# expect: 40 connections open: the pool
# hint: no thread may be created per connection
s/o->workers > 1 ? &blocking_io_inline : &thread_io/\&thread_io \/* the pool and a thread per connection *\//
