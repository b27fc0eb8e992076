package org.aio4j.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.aio4j.Aio;
import org.aio4j.ExceptionContext;
import org.aio4j.Task;
import org.aio4j.test.AioTesting;
import org.aio4j.test.TestOptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A failure of the driver or the row mapper that the cursor read ahead of its consumer (in the batch it read while the
 * consumer worked on the rows before it) is not dropped when the consumer stops before reaching it: as with the
 * operators that read ahead ({@code buffer}, {@code chunked}, ... see {@link org.aio4j.AsyncIterator}), it goes to the
 * loop's exception handler, and {@code aclose()} does not throw it.
 */
class ReadAheadFailureTest {

    private final RecordingConnections connections =
            new RecordingConnections(() -> DriverManager.getConnection("jdbc:h2:mem:"));

    private static final String SQL = "SELECT X FROM SYSTEM_RANGE(1, 100)";

    /** Rows 1..5 in the first batch; the read ahead maps row 6, then fails at row 7. */
    private JdbcCursor<Integer> failingAtRow7(Exception failure) {
        return JdbcQuery.<Integer>of(connections, SQL, rs -> {
            if (rs.getInt(1) == 7) {
                if (failure instanceof SQLException sql) {
                    throw sql;
                }
                throw (RuntimeException) failure;
            }
            return rs.getInt(1);
        }).fetchSize(5).bufferSize(20).rows();
    }

    /**
     * @param how {@code taken}: the consumer's next {@code hasNext()} took the failed batch in (the failure is held
     *            behind rows 2..6); {@code notTaken}: the consumer closes while the failed batch waits, its call over;
     *            {@code taskEnd}: as {@code taken}, but the consumer's task ends without closing the cursor
     */
    @ParameterizedTest
    @ValueSource(strings = {"taken", "notTaken", "taskEnd"})
    void aFailureReadAheadOfAConsumerThatStopsGoesToTheExceptionHandler(String how) throws Exception {
        var bad = new IllegalStateException("row 7 is bad");
        List<ExceptionContext> reports = new ArrayList<>();
        List<Integer> got = new ArrayList<>();
        AioTesting.runTest(TestOptions.defaults().withVirtualTime(false), () -> {
            Aio.getRunningLoop().setExceptionHandler((loop, context) -> reports.add(context));
            Task<Void> consumer = Aio.createTask(() -> {
                var rows = failingAtRow7(bad);
                got.add(rows.next());
                Aio.waitAllTasksBlocked(); // the read ahead (row 6, then the failure) is over
                if (!how.equals("notTaken")) {
                    got.add(rows.next()); // takes the read-ahead batch in
                    got.add(rows.next());
                }
                if (!how.equals("taskEnd")) {
                    rows.aclose(); // does not throw the failure the consumer never reached
                }
                return null;
            });
            consumer.await();
            Aio.waitAllTasksBlocked();
        });
        assertThat(got).containsExactly(how.equals("notTaken") ? new Integer[] {1} : new Integer[] {1, 2, 3});
        assertThat(reports).singleElement().satisfies(r -> {
            assertThat(r.exception()).isSameAs(bad);
            assertThat(r.message()).contains("read ahead", SQL);
        });
        assertThat(connections.allClosed()).isTrue();
    }

    /** A checked failure is named, as at the row where it happens: the step, the row and the query. */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aCheckedFailureReadAheadIsReportedNamed(boolean taken) throws Exception {
        var bad = new SQLException("row 7 is bad");
        List<ExceptionContext> reports = new ArrayList<>();
        AioTesting.runTest(TestOptions.defaults().withVirtualTime(false), () -> {
            Aio.getRunningLoop().setExceptionHandler((loop, context) -> reports.add(context));
            try (var rows = failingAtRow7(bad)) {
                rows.next();
                Aio.waitAllTasksBlocked();
                if (taken) {
                    rows.next();
                }
            }
        });
        assertThat(reports).singleElement().satisfies(r -> assertThat(r.exception())
                .isInstanceOf(CompletionException.class).hasCause(bad)
                .hasMessageContaining("reading row 7").hasMessageContaining(SQL));
        assertThat(connections.allClosed()).isTrue();
    }

    static Stream<Long> seeds() {
        return Stream.of(42L, System.nanoTime());
    }

    /**
     * Many cursors whose mapper fails at a random row (or never), read by consumers that stop at a random row, some
     * cancelled at a random moment. A consumer that is not cancelled gets exactly its rows, in order, then the
     * failure if it reaches it; a failure is received by its consumer or reported to the exception handler, never
     * both, never twice, and only a failure the mapper threw; every statement and connection is closed. (A failure
     * thrown while the close cancelled the read may be neither: the cancel may be what made the read fail.)
     */
    @ParameterizedTest
    @MethodSource("seeds")
    void manyFailingCursorsStoppedOrCancelledAtRandomLoseNoFailureAndReportNoneTwice(long seed) throws Exception {
        String described = "seed " + seed + " (rerun with this seed to reproduce)";
        int consumers = 40;
        Map<Throwable, Integer> thrown = new ConcurrentHashMap<>();
        Map<Throwable, Integer> received = new IdentityHashMap<>();
        List<Throwable> reported = new ArrayList<>();
        List<String> wrong = new ArrayList<>();
        AioTesting.runTest(TestOptions.defaults().withVirtualTime(false), () -> {
            Aio.getRunningLoop().setExceptionHandler((loop, context) -> reported.add(context.exception()));
            var random = new Random(seed);
            List<Task<Void>> tasks = new ArrayList<>();
            for (int c = 0; c < consumers; c++) {
                int consumer = c;
                int n = random.nextInt(0, 300);
                int failAt = random.nextInt(1, 400); // past n: never
                // often just before the failure, so that it is read ahead of the consumer that stops there
                int stop = random.nextBoolean() ? random.nextInt(0, 400) : Math.max(0, failAt - random.nextInt(1, 40));
                int fetch = random.nextInt(1, 40);
                int buffer = random.nextInt(fetch, 4 * fetch + 1);
                var failure = new IllegalStateException("consumer " + consumer + ": row " + failAt + " is bad");
                tasks.add(Aio.createTask(() -> {
                    var rows = JdbcQuery.<Integer>of(connections, "SELECT X FROM SYSTEM_RANGE(1, ?)", rs -> {
                        if (rs.getInt(1) == failAt) {
                            thrown.put(failure, consumer);
                            throw failure;
                        }
                        return rs.getInt(1);
                    }).parameters(n).fetchSize(fetch).bufferSize(buffer).rows();
                    int count = 0;
                    try (rows) {
                        for (int x : rows) {
                            if (x != count + 1) {
                                wrong.add("consumer " + consumer + ": row " + x + " after " + count);
                            }
                            if (count == stop) {
                                break;
                            }
                            count++;
                        }
                    } catch (IllegalStateException e) {
                        if (e instanceof CancellationException cancelled) { // one, not a failure
                            throw cancelled;
                        }
                        received.put(e, consumer);
                        if (e != failure || count != failAt - 1) {
                            wrong.add("consumer " + consumer + ": " + e + " after " + count + " rows");
                        }
                        return null;
                    }
                    int expected = Math.min(n, stop);
                    if (count != expected || failAt <= expected) {
                        wrong.add("consumer " + consumer + ": " + count + " rows, expected " + expected
                                + (failAt <= expected ? " then the failure at " + failAt : ""));
                    }
                    return null;
                }));
            }
            for (Task<Void> t : tasks) {
                if (random.nextInt(3) == 0) {
                    Aio.getRunningLoop().callLater(random.nextInt(0, 50) / 1000.0, t::cancel);
                }
            }
            for (Task<Void> t : tasks) {
                try {
                    t.await();
                } catch (CancellationException cancelled) {
                    // only what it held matters: checked below
                }
            }
        });
        assertThat(wrong).as(described).isEmpty();
        Map<Throwable, Boolean> seen = new IdentityHashMap<>();
        for (Throwable r : reported) {
            assertThat(thrown).as(described).containsKey(r);
            assertThat(received).as(described).doesNotContainKey(r);
            assertThat(seen.put(r, true)).as("%s: reported twice: %s", described, r).isNull();
        }
        assertThat(connections.allClosed()).as(described).isTrue();
    }
}
