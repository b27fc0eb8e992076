package org.aio4j.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.ref.Reference;
import java.lang.ref.WeakReference;
import java.sql.DriverManager;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.aio4j.test.AioTesting;
import org.aio4j.test.TestOptions;
import org.junit.jupiter.api.Test;

/**
 * A cursor closed early holds none of the rows it read ahead: a cursor kept after its close (for its statistics, in a
 * field) must not keep up to a buffer of mapped rows from being collected.
 */
class ClosedCursorReferenceTest {

    @Test
    void aCursorClosedWithRowsReadAheadLetsThemBeCollected() throws Exception {
        List<WeakReference<Object>> mapped = new CopyOnWriteArrayList<>();
        JdbcCursor<Object> closed = AioTesting.runTest(TestOptions.defaults().withVirtualTime(false), () -> {
            var rows = JdbcQuery.of(() -> DriverManager.getConnection("jdbc:h2:mem:"),
                    "SELECT X FROM SYSTEM_RANGE(1, 1000)", rs -> {
                        Object row = new Object();
                        mapped.add(new WeakReference<>(row));
                        return row;
                    }).fetchSize(10).bufferSize(100).rows();
            rows.next(); // dropped at once, as the rows read behind it
            rows.aclose();
            assertThat(rows.statistics().rowsRead()).as("rows read ahead").isGreaterThan(1);
            return rows;
        });
        assertThat(collected(mapped)).as("every row mapped was collected while the cursor lives").isTrue();
        Reference.reachabilityFence(closed);
    }

    /** Whether every referent is collected within a bounded number of full collections (no time involved). */
    private static boolean collected(List<WeakReference<Object>> refs) {
        for (int i = 0; i < 100 && refs.stream().anyMatch(r -> r.get() != null); i++) {
            System.gc();
        }
        return refs.stream().allMatch(r -> r.get() == null);
    }
}
