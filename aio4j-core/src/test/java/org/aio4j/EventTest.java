package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;

class EventTest {

    @Test
    void setWakesEveryWaiterInTheOrderTheyStartedWaiting() throws Exception {
        List<String> log = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            var event = new Event();
            List<Task<Void>> waiters = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                int id = i;
                waiters.add(Aio.createTask(() -> {
                    Aio.sleep(0.1 * (4 - id));
                    event.await();
                    log.add("w" + id + " at " + Aio.getRunningLoop().time());
                }));
            }
            Aio.sleep(1);
            assertThat(event.toString()).isEqualTo("Event[unset, waiters=4]");
            assertThat(log).isEmpty();
            event.set();
            event.clear(); // woken waiters return all the same
            Aio.gather(waiters).await();
            assertThat(event.isSet()).isFalse();
            return null;
        });
        assertThat(log).containsExactly("w3 at 1.0", "w2 at 1.0", "w1 at 1.0", "w0 at 1.0");
    }

    @Test
    void awaitReturnsAtOnceWhenSetAndSuspendsAgainAfterClear() throws Exception {
        TestLoops.runVirtual(() -> {
            var event = new Event();
            assertThat(event).hasToString("Event[unset, waiters=0]");
            event.set();
            assertThat(event).hasToString("Event[set, waiters=0]");
            event.await();
            assertThat(event.isSet()).isTrue();
            event.clear();
            Task<Void> waiter = Aio.createTask(event::await);
            Aio.sleep(1);
            assertThat(waiter.isDone()).isFalse();
            Aio.getRunningLoop().callLater(1, event::set);
            waiter.await();
            assertThat(Aio.getRunningLoop().time()).isEqualTo(2.0);
            return null;
        });
    }

    @Test
    void aCancelledWaiterLeavesAndTheOthersStillWake() throws Exception {
        TestLoops.runVirtual(() -> {
            var event = new Event();
            Task<Void> cancelled = Aio.createTask(event::await);
            Task<Void> other = Aio.createTask(event::await);
            Aio.sleep(0);
            cancelled.cancel();
            assertThatThrownBy(cancelled::await).isInstanceOf(CancellationException.class);
            assertThat(event.toString()).isEqualTo("Event[unset, waiters=1]");
            event.set();
            other.await();
            return null;
        });
    }
}
