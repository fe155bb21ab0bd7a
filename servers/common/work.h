/* work.h - the per-request work every model runs at the same point of a request.
 *
 * --spin-us N burns N us of CPU; --block-us N blocks the calling kernel thread
 * for N us in a real blocking system call (clock_nanosleep issued through
 * syscall(2), so no user-level thread library can turn it into a yield): the
 * simulated disk miss.
 */
#ifndef WORK_H
#define WORK_H

void work_spin(int us);
void work_block(int us);

/* A model may be told before and after a worker blocks (the IOCP emulation
 * uses this to release another waiter, as Windows does in the kernel). */
void work_set_block_hooks(void (*before)(void), void (*after)(void));

/* Both, in order; the single call site every model uses. */
void work_do(int spin_us, int block_us);

#endif
