package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;

class CapacityLimiterTest {

    @Test
    void itKnowsWhoHoldsItsTokensAndRefusesASecondAcquireBySameTask() throws Exception {
        TestLoops.runVirtual(() -> {
            var limiter = new CapacityLimiter(2);
            Task<?> me = Aio.currentTask();
            try (var _ = limiter.acquire()) {
                assertThat(limiter.statistics()).isEqualTo(new CapacityLimiter.Statistics(1, 2, List.of(me), 0));
                assertThat(limiter.borrowedTokens()).isEqualTo(1);
                assertThat(limiter.availableTokens()).isEqualTo(1);
                assertThatThrownBy(limiter::acquire).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("Task " + me.getName() + " already holds or waits for one of this"
                                + " CapacityLimiter's tokens");
                Task<Void> other = Aio.createTask(limiter::release);
                assertThatThrownBy(other::await).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("holds none of this CapacityLimiter's tokens");
            }
            assertThat(limiter.borrowedTokens()).isZero();
            return null;
        });
    }

    @Test
    void aNullBorrowerIsRefusedByNameWhenBorrowingAndWhenReleasing() throws Exception {
        TestLoops.runVirtual(() -> {
            var limiter = new CapacityLimiter(1);
            assertThatThrownBy(() -> limiter.acquireOnBehalfOf(null)).isInstanceOf(NullPointerException.class)
                    .hasMessage("borrower must not be null");
            assertThatThrownBy(() -> limiter.releaseOnBehalfOf(null)).isInstanceOf(NullPointerException.class)
                    .hasMessage("borrower must not be null");
            assertThat(limiter.borrowedTokens()).isZero();
            return null;
        });
    }

    @Test
    void borrowingOnBehalfOfAnObjectAndReleasingFromAnotherTask() throws Exception {
        TestLoops.runVirtual(() -> {
            var limiter = new CapacityLimiter(1);
            Object job = "job-1";
            Permit p = limiter.acquireOnBehalfOf(job);
            assertThat(limiter.statistics().borrowers()).containsExactly(job);
            Task<Void> other = Aio.createTask(p::close); // the permit releases on behalf of the job
            other.await();
            assertThat(limiter.borrowedTokens()).isZero();
            limiter.acquireOnBehalfOf(job);
            limiter.releaseOnBehalfOf(job);
            assertThatThrownBy(() -> limiter.releaseOnBehalfOf(job)).isInstanceOf(IllegalStateException.class)
                    .hasMessage("Borrower job-1 holds none of this CapacityLimiter's tokens, so it cannot release one"
                            + " (CapacityLimiter[borrowed=0/1, waiters=0])");
            return null;
        });
    }

    /**
     * A deadlock report line "waits on CapacityLimiter[...]" names who holds the tokens, as a Lock's names its holder:
     * a task waiting for a token that it, or a task waiting for it, holds is then plain to see.
     */
    @Test
    void theLimiterPrintsItsBorrowersTasksByName() throws Exception {
        TestLoops.runVirtual(() -> {
            var limiter = new CapacityLimiter(3);
            try (var _ = limiter.acquire(); var _ = limiter.acquireOnBehalfOf("job-1")) {
                Task<Void> waiter = Aio.createTask(() -> {
                    limiter.acquire().close();
                }, "waiter");
                assertThat(limiter.toString()).isEqualTo("CapacityLimiter[borrowed=2/3 by task "
                        + Aio.currentTask().getName() + ", job-1, waiters=0]");
                limiter.setTotalTokens(2);
                Aio.waitAllTasksBlocked();
                assertThat(limiter.toString()).isEqualTo("CapacityLimiter[borrowed=2/2 by task "
                        + Aio.currentTask().getName() + ", job-1, waiters=1]");
                limiter.setTotalTokens(3);
                waiter.await();
            }
            assertThat(limiter.toString()).isEqualTo("CapacityLimiter[borrowed=0/3, waiters=0]");
            return null;
        });
    }

    /**
     * Trio 0.22 lets two tasks wait on behalf of one borrower; after a grow both get through while borrowed_tokens
     * counts one token. aio4j refuses the second ask (a documented difference).
     */
    @Test
    void aBorrowerWaitingForATokenCannotAskAgainFromAnotherTask() throws Exception {
        TestLoops.runVirtual(() -> {
            var limiter = new CapacityLimiter(1);
            Permit held = limiter.acquire();
            Object job = "job-1";
            Task<Permit> first = Aio.createTask(() -> limiter.acquireOnBehalfOf(job));
            Task<Permit> second = Aio.createTask(() -> limiter.acquireOnBehalfOf(job));
            Aio.sleep(0);
            assertThatThrownBy(second::await).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("Borrower job-1 already holds or waits for one of this CapacityLimiter's"
                            + " tokens");
            limiter.setTotalTokens(2);
            first.await();
            assertThat(limiter.statistics().borrowers()).containsExactly(Aio.currentTask(), job);
            held.close();
            first.result().close();
            assertThat(limiter.borrowedTokens()).isZero();
            return null;
        });
    }

    @Test
    void growingHandsNewTokensToWaitersInOrderAndShrinkingTakesNothingBack() throws Exception {
        List<Integer> order = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var limiter = new CapacityLimiter(1);
            Permit held = limiter.acquire();
            List<Task<Void>> tasks = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                int id = i;
                tasks.add(Aio.createTask(() -> {
                    try (var _ = limiter.acquire()) {
                        order.add(id);
                        Aio.sleep(10);
                    }
                }));
            }
            Aio.sleep(1);
            assertThat(limiter.statistics().tasksWaiting()).isEqualTo(4);
            limiter.setTotalTokens(3);  // two more tokens: tasks 0 and 1
            Aio.sleep(1);
            assertThat(order).containsExactly(0, 1);
            limiter.setTotalTokens(1);  // nobody loses a token...
            assertThat(limiter.borrowedTokens()).isEqualTo(3);
            assertThat(limiter.availableTokens()).isZero();
            held.close();               // ...but a token given back is not handed on while over the total
            Aio.sleep(1);
            assertThat(order).containsExactly(0, 1);
            Aio.gather(tasks).await();
            assertThat(order).containsExactly(0, 1, 2, 3);
            assertThat(limiter.borrowedTokens()).isZero();
            assertThatThrownBy(() -> limiter.setTotalTokens(0)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("CapacityLimiter totalTokens must be >= 1, got 0");
            return null;
        });
    }

    @Test
    void acquireNeedsATaskAndTheTotalMustBePositive() throws Exception {
        assertThatThrownBy(() -> new CapacityLimiter(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("CapacityLimiter totalTokens must be >= 1, got 0");
        List<String> seen = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var limiter = new CapacityLimiter(1);
            Future<Void> done = Aio.getRunningLoop().createFuture();
            Aio.getRunningLoop().callSoon(() -> {
                try {
                    limiter.acquire();
                } catch (IllegalStateException e) {
                    seen.add(e.getMessage());
                }
                limiter.acquireOnBehalfOf("job-1"); // a free token: no need to wait
                try {
                    limiter.acquireOnBehalfOf("job-2");
                } catch (IllegalStateException e) {
                    seen.add(e.getMessage());
                }
                done.setResult(null);
            });
            done.await();
            return null;
        });
        assertThat(seen).hasSize(2);
        assertThat(seen.get(0)).contains("call it from a task, or use acquireOnBehalfOf");
        // The message names the call made, not acquire() (which the old code named here).
        assertThat(seen.get(1)).contains("CapacityLimiter.acquireOnBehalfOf() cannot suspend in a callback");
    }

    /**
     * acquire() and release() lend to and take back from the current task: outside any loop there is none, and
     * they say so (not a NullPointerException, nor release()'s "borrower must not be null").
     */
    @Test
    void acquireAndReleaseOutsideAnyTaskSayThereIsNone() {
        var limiter = new CapacityLimiter(2);
        assertThat(limiter.totalTokens()).isEqualTo(2);
        assertThatThrownBy(limiter::acquire).isInstanceOf(IllegalStateException.class)
                .hasMessage("CapacityLimiter.acquire() lends a token to the current task, and there is none here:"
                        + " call it from a task, or use acquireOnBehalfOf(borrower)");
        assertThatThrownBy(limiter::release).isInstanceOf(IllegalStateException.class)
                .hasMessage("CapacityLimiter.release() gives back the current task's token, and there is no task"
                        + " here: use releaseOnBehalfOf(borrower)");
        assertThat(limiter.borrowedTokens()).isZero();
    }

    /**
     * A waiter cancelled in the same step as a token comes free is passed over: the token goes to the next waiter
     * (Trio wakes the first waiter still waiting), and the cancelled one borrows nothing.
     */
    @Test
    void aWaiterCancelledJustBeforeATokenComesFreeIsPassedOver() throws Exception {
        TestLoops.runVirtual(() -> {
            var limiter = new CapacityLimiter(1);
            Permit mine = limiter.acquire();
            Task<Void> cancelled = Aio.createTask(() -> limiter.acquire().close(), "cancelled");
            Task<?>[] holder = new Task<?>[1];
            Task<Void> next = Aio.createTask(() -> {
                try (var _ = limiter.acquire()) {
                    holder[0] = limiter.statistics().borrowers().getFirst() instanceof Task<?> t ? t : null;
                }
            }, "next");
            Aio.sleep(0);
            assertThatThrownBy(limiter::acquireNowait).as("held by this task")
                    .isInstanceOf(IllegalStateException.class);
            cancelled.cancel();
            mine.close();
            next.await();
            assertThat(holder[0]).isSameAs(next);
            assertThatThrownBy(cancelled::await).isInstanceOf(CancellationException.class);
            assertThat(limiter.statistics()).isEqualTo(new CapacityLimiter.Statistics(0, 1, List.of(), 0));
            return null;
        });
    }

    /** acquireNowait() by a task that holds no token, while another holds the only one: it would block. */
    @Test
    void acquireNowaitSaysItWouldBlockWhileAnotherTaskHoldsTheToken() throws Exception {
        TestLoops.runVirtual(() -> {
            var limiter = new CapacityLimiter(1);
            Permit job = limiter.acquireOnBehalfOf("job");
            assertThatThrownBy(limiter::acquireNowait).isInstanceOf(WouldBlockException.class)
                    .hasMessage("CapacityLimiter.acquireNowait(): no token is free (CapacityLimiter[borrowed=1/1 by job,"
                            + " waiters=0])");
            job.close();
            limiter.acquireNowait().close();
            return null;
        });
    }

    /**
     * Trio's acquire_nowait(): a free token at once, WouldBlockException when none is free, never ahead of a waiter
     * (a released token goes to the waiter), and the one-token-per-borrower rule as acquire() has it.
     */
    @Test
    void acquireNowaitBorrowsAFreeTokenAndOtherwiseSaysItWouldBlock() throws Exception {
        TestLoops.runVirtual(() -> {
            var limiter = new CapacityLimiter(1);
            Task<?> me = Aio.currentTask();
            Permit mine = limiter.acquireNowait();
            assertThat(limiter.statistics().borrowers()).containsExactly(me);
            assertThatThrownBy(limiter::acquireNowait).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("Task " + me.getName() + " already holds or waits for one");
            assertThatThrownBy(() -> limiter.acquireOnBehalfOfNowait("job")).isInstanceOf(WouldBlockException.class)
                    .hasMessage("CapacityLimiter.acquireOnBehalfOfNowait(): no token is free"
                            + " (CapacityLimiter[borrowed=1/1 by task " + me.getName() + ", waiters=0])");
            assertThat(limiter.borrowedTokens()).as("a refused nowait borrows nothing").isEqualTo(1);

            Task<String> waiter = Aio.createTask(() -> {
                try (var _ = limiter.acquire()) {
                    return "waited";
                }
            }, "waiter");
            Aio.sleep(0); // the waiter queues for the token
            mine.close(); // handed to the waiter at once
            assertThatThrownBy(() -> limiter.acquireOnBehalfOfNowait("job")).as("the waiter has the token")
                    .isInstanceOf(WouldBlockException.class);
            assertThat(waiter.await()).isEqualTo("waited");
            assertThat(limiter.borrowedTokens()).isZero();

            Permit job = limiter.acquireOnBehalfOfNowait("job");
            assertThatThrownBy(() -> limiter.acquireOnBehalfOfNowait("job")).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("Borrower job already holds or waits for one");
            assertThatThrownBy(() -> limiter.acquireOnBehalfOfNowait(null)).isInstanceOf(NullPointerException.class)
                    .hasMessage("borrower must not be null");
            job.close();
            assertThat(limiter.availableTokens()).isEqualTo(1);
            return null;
        });
    }
}
