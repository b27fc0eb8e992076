package org.aio4j.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.aio4j.Aio;
import org.aio4j.Task;
import org.aio4j.test.AioTesting;
import org.aio4j.test.TestOptions;
import org.junit.jupiter.api.Test;

/**
 * A call hung on the network, with a driver (or pool proxy) whose {@code Connection.abort} is not supported and whose
 * {@code Statement.cancel()} does nothing: nothing can end the call. The cancelled consumer must not wait for it, and
 * the connection must be closed when the call ends, not before (a pool would hand it out while it is busy).
 */
class AbortUnsupportedTest {

    @Test
    void aConsumerCancelledDuringACallThatCannotBeAbortedEndsAndTheCallClosesTheConnectionWhenItEnds()
            throws Exception {
        var abortFailure = new SQLFeatureNotSupportedException("abort is not supported");
        var driver = new HungCallDriver(abortFailure);
        List<String> events = driver.events;
        try {
            AioTesting.runTest(TestOptions.defaults().withVirtualTime(false).withTimeout(Duration.ofSeconds(20)), () -> {
                var seen = new java.util.concurrent.atomic.AtomicReference<CancellationException>();
                Task<?> consumer = Aio.createTask(() -> {
                    try {
                        return JdbcQuery.of(driver, "SELECT 1", rs -> rs.getLong(1)).rows().toList();
                    } catch (CancellationException e) { // what the consumer sees; the task's awaiter gets a new one
                        seen.set(e);
                        throw e;
                    }
                });
                Aio.toThread(() -> {
                    driver.executing.await();
                    return null;
                });
                consumer.cancel();
                assertThatThrownBy(consumer::await).isInstanceOf(CancellationException.class);
                assertThat(seen.get().getSuppressed()).singleElement()
                        .satisfies(s -> assertThat(s).hasMessageContaining("left to finish on its thread")
                                .cause().isSameAs(abortFailure));
                assertThat(events).as("nothing closed under the running call").isEmpty();

                driver.released.countDown();
                Aio.toThread(() -> {
                    driver.closed.await();
                    return null;
                });
                assertThat(events).containsExactly("call ended", "rollback", "close");
            });
        } finally {
            driver.released.countDown();
        }
    }
}
