package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class LockTest {

    @Test
    void itShowsWhichTaskHoldsItAndHowManyWait() throws Exception {
        TestLoops.runVirtual(() -> {
            var lock = new Lock();
            assertThat(lock).hasToString("Lock[unlocked, waiters=0]");
            Task<Void> holder = Aio.createTask(() -> {
                try (var _ = lock.acquire()) {
                    Aio.sleep(10);
                }
            }, "holder");
            Task<Void> waiter = Aio.createTask(() -> lock.acquire().close(), "waiter");
            Aio.sleep(1);
            assertThat(lock).hasToString("Lock[locked by holder, waiters=1]");
            assertThat(lock.statistics()).isEqualTo(new Lock.Statistics(true, holder, 1));
            Aio.gather(holder, waiter).await();
            assertThat(lock.statistics()).isEqualTo(new Lock.Statistics(false, null, 0));
            assertThatThrownBy(lock::release).isInstanceOf(IllegalStateException.class)
                    .hasMessage("Lock is not acquired: cannot release Lock[unlocked, waiters=0]");
            return null;
        });
    }

    /**
     * Before any loop uses them, a lock and a condition can be acquired and released on a thread that runs no loop
     * (nothing has to wait): no task holds them then, which toString() and statistics() say.
     */
    @Test
    void outsideAnyLoopAFreeLockIsAcquiredWithoutAHolder() {
        var lock = new Lock();
        Permit p = lock.acquire();
        assertThat(lock.locked()).isTrue();
        assertThat(lock).hasToString("Lock[locked, waiters=0]");
        assertThat(lock.statistics()).isEqualTo(new Lock.Statistics(true, null, 0));
        p.close();
        assertThat(lock.locked()).isFalse();
        lock.acquire();
        lock.release();
        assertThat(lock).hasToString("Lock[unlocked, waiters=0]");

        var cond = new Condition(lock);
        try (var _ = cond.acquire()) {
            assertThat(cond).hasToString("Condition[Lock[locked, waiters=0], waiters=0]");
        }
        assertThat(cond.locked()).isFalse();
        assertThat(cond).hasToString("Condition[Lock[unlocked, waiters=0], waiters=0]");
    }

    @Test
    void aTimeoutWhileWaitingGivesUpCleanly() throws Exception {
        TestLoops.runVirtual(() -> {
            var lock = new Lock();
            Permit held = lock.acquire();
            Task<Void> impatient = Aio.createTask(() -> Aio.waitFor(() -> lock.acquire(), Duration.ofSeconds(1)).close());
            Task<Void> patient = Aio.createTask(() -> lock.acquire().close());
            Aio.sleep(2);
            assertThatThrownBy(impatient::await).isInstanceOf(TimeoutException.class);
            held.close();
            patient.await();
            assertThat(lock.locked()).isFalse();
            return null;
        });
    }

    @Test
    void conditionsSharingALockWaitAndSignalIndependently() throws Exception {
        TestLoops.runVirtual(() -> {
            var lock = new Lock();
            var notEmpty = new Condition(lock);
            var notFull = new Condition(lock);
            Task<Void> a = Aio.createTask(() -> {
                try (var _ = notEmpty.acquire()) {
                    notEmpty.await();
                }
            });
            Task<Void> b = Aio.createTask(() -> {
                try (var _ = notFull.acquire()) {
                    notFull.await();
                }
            });
            Aio.sleep(1);
            try (var _ = notFull.acquire()) {
                assertThat(lock.locked()).isTrue();
                notFull.signalAll();
            }
            b.await();
            assertThat(a.isDone()).isFalse();
            try (var _ = notEmpty.acquire()) {
                notEmpty.signal();
            }
            a.await();
            return null;
        });
    }
}
