package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One contract, four implementations (as Trio's generic lock test): Lock, Semaphore(1), BoundedSemaphore(1) and
 * CapacityLimiter(1) all behave as a fair mutex that loses nothing under cancellation.
 */
class MutexContractTest {

    /** The common surface of the four. */
    interface Mutex {
        Permit acquire();

        void release();

        boolean locked();

        /** Whether releasing a free mutex throws (all but the plain Semaphore, which just counts up). */
        boolean strictRelease();
    }

    record Kind(String name, Supplier<Mutex> factory) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Kind> kinds() {
        return Stream.of(
                new Kind("Lock", () -> {
                    var l = new Lock();
                    return mutex(l::acquire, l::release, l::locked, true, l);
                }),
                new Kind("Semaphore(1)", () -> {
                    var s = new Semaphore(1);
                    return mutex(s::acquire, s::release, s::locked, false, s);
                }),
                new Kind("BoundedSemaphore(1)", () -> {
                    var s = new BoundedSemaphore(1);
                    return mutex(s::acquire, s::release, s::locked, true, s);
                }),
                new Kind("CapacityLimiter(1)", () -> {
                    var c = new CapacityLimiter(1);
                    return mutex(c::acquire, c::release, () -> c.availableTokens() == 0, true, c);
                }));
    }

    private static Mutex mutex(Supplier<Permit> acquire, Runnable release, java.util.function.BooleanSupplier locked,
                               boolean strict, Object target) {
        return new Mutex() {
            @Override
            public Permit acquire() {
                return acquire.get();
            }

            @Override
            public void release() {
                release.run();
            }

            @Override
            public boolean locked() {
                return locked.getAsBoolean();
            }

            @Override
            public boolean strictRelease() {
                return strict;
            }

            @Override
            public String toString() {
                return target.toString();
            }
        };
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void onlyOneTaskHoldsItAtATimeAndThePermitReleasesOnce(Kind kind) throws Exception {
        int[] inside = {0};
        int[] peak = {0};
        TestLoops.runVirtual(() -> {
            Mutex m = kind.factory().get();
            List<Task<Void>> tasks = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                tasks.add(Aio.createTask(() -> {
                    try (var _ = m.acquire()) {
                        inside[0]++;
                        peak[0] = Math.max(peak[0], inside[0]);
                        Aio.sleep(1);
                        inside[0]--;
                    }
                }));
            }
            Aio.gather(tasks).await();
            assertThat(Aio.getRunningLoop().time()).isEqualTo(5.0);
            assertThat(m.locked()).isFalse();
            Permit p = m.acquire();
            p.close();
            p.close(); // once only
            assertThat(m.locked()).isFalse();
            assertThat(p.toString()).startsWith("Permit[released, of ");
            return null;
        });
        assertThat(peak[0]).isEqualTo(1);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void waitersAcquireInTheOrderTheyArrived(Kind kind) throws Exception {
        List<Integer> order = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Mutex m = kind.factory().get();
            Permit held = m.acquire();
            List<Task<Void>> tasks = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                int id = i;
                tasks.add(Aio.createTask(() -> {
                    Aio.sleep(0.1 * (6 - id)); // arrive in order 5, 4, ..., 0
                    try (var _ = m.acquire()) {
                        order.add(id);
                        Aio.sleep(0);
                    }
                }));
            }
            Aio.sleep(1);
            held.close();
            Aio.gather(tasks).await();
            return null;
        });
        assertThat(order).containsExactly(5, 4, 3, 2, 1, 0);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void aReleaseFollowedAtOnceByAnAcquireDoesNotJumpTheQueue(Kind kind) throws Exception {
        List<String> order = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Mutex m = kind.factory().get();
            Permit held = m.acquire();
            Task<Void> waiter = Aio.createTask(() -> {
                try (var _ = m.acquire()) {
                    order.add("waiter");
                }
            });
            Aio.sleep(0);
            // "late" is in the ready queue before the woken waiter: it runs first, and must queue behind it.
            Task<Void> late = Aio.createTask(() -> {
                try (var _ = m.acquire()) {
                    order.add("late");
                }
            });
            held.close();
            try (var _ = m.acquire()) { // the releasing task itself queues behind the woken waiter too
                order.add("releaser");
            }
            Aio.gather(waiter, late).await();
            return null;
        });
        assertThat(order).containsExactly("waiter", "releaser", "late");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void aTaskCancelledWhileWaitingNeitherLeaksNorStealsIt(Kind kind) throws Exception {
        TestLoops.runVirtual(() -> {
            Mutex m = kind.factory().get();
            Permit held = m.acquire();
            Task<Void> waiter = Aio.createTask(() -> {
                try (var _ = m.acquire()) {
                    throw new AssertionError("a cancelled waiter must not get it");
                }
            });
            Aio.sleep(0);
            waiter.cancel();
            assertThatThrownBy(waiter::await).isInstanceOf(CancellationException.class);
            assertThat(m.locked()).isTrue();
            held.close();
            assertThat(m.locked()).isFalse();
            m.acquire().close();
            return null;
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void aWaiterCancelledRightAfterBeingWokenPassesItOn(Kind kind) throws Exception {
        List<String> order = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            Mutex m = kind.factory().get();
            Permit held = m.acquire();
            Task<Void> first = Aio.createTask(() -> {
                try (var _ = m.acquire()) {
                    order.add("first");
                }
            });
            Task<Void> second = Aio.createTask(() -> {
                try (var _ = m.acquire()) {
                    order.add("second");
                }
            });
            Aio.sleep(0);
            held.close();   // wakes first...
            first.cancel(); // ...which is cancelled before it runs
            second.await();
            assertThat(first.isCancelled()).isTrue();
            assertThat(m.locked()).isFalse();
            m.acquire().close();
            return null;
        });
        assertThat(order).containsExactly("second");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void tryWithResourcesReleasesOnAnException(Kind kind) throws Exception {
        TestLoops.runVirtual(() -> {
            Mutex m = kind.factory().get();
            assertThatThrownBy(() -> {
                try (var _ = m.acquire()) {
                    throw new IllegalArgumentException("boom");
                }
            }).hasMessage("boom");
            assertThat(m.locked()).isFalse();
            return null;
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void releasingWhatIsNotHeldThrowsAClearException(Kind kind) throws Exception {
        TestLoops.runVirtual(() -> {
            Mutex m = kind.factory().get();
            if (m.strictRelease()) {
                assertThatThrownBy(m::release).isInstanceOf(IllegalStateException.class)
                        .hasMessageMatching(".*(not acquired|released too many times|holds none).*");
            } else {
                m.release(); // asyncio's Semaphore just counts up
                assertThat(m.toString()).contains("value=2");
            }
            return null;
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void aDeadlockReportNamesThePrimitive(Kind kind) {
        String prefix = kind.name().replaceAll("\\(.*", "") + "[";
        assertThatThrownBy(() -> TestLoops.runVirtual(() -> {
            Mutex m = kind.factory().get();
            Permit held = m.acquire();
            return Aio.createTask(() -> {
                try (var _ = m.acquire()) {
                    return held;
                }
            }, "stuck").await();
        })).isInstanceOf(DeadlockException.class).hasMessageContaining("stuck waits on " + prefix);
    }
}
