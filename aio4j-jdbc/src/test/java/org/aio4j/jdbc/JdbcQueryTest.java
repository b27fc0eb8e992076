package org.aio4j.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.SQLException;
import java.util.concurrent.CompletionException;
import org.aio4j.test.AioTesting;
import org.aio4j.test.TestOptions;
import org.junit.jupiter.api.Test;

/** Bad input to the JDBC API is refused at the call site, with a message naming the problem. */
class JdbcQueryTest {

    private static final ConnectionFactory NEVER = () -> {
        throw new AssertionError("must not connect");
    };

    @Test
    void badArgumentsAreRefusedAtTheCallSite() {
        JdbcQuery<Integer> q = JdbcQuery.of(NEVER, "SELECT 1", rs -> 1);
        assertThatThrownBy(() -> q.fetchSize(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("fetchSize must be >= 1, got 0");
        assertThatThrownBy(() -> q.bufferSize(-5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bufferSize must be >= 1, got -5");
        assertThatThrownBy(() -> q.executor(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("executor must not be null");
        assertThatThrownBy(() -> q.parameters((Object[]) null)).isInstanceOf(NullPointerException.class)
                .hasMessage("parameters must not be null: pass no argument for none, (Object) null for one SQL NULL");
        assertThat(q.parameters((Object) null)).isNotNull();
        assertThatThrownBy(() -> JdbcQuery.of(null, "SELECT 1", rs -> 1)).isInstanceOf(NullPointerException.class)
                .hasMessage("connections must not be null");
        assertThatThrownBy(() -> JdbcQuery.of(NEVER, null, rs -> 1)).isInstanceOf(NullPointerException.class)
                .hasMessage("sql must not be null");
        assertThatThrownBy(() -> JdbcQuery.of(NEVER, "SELECT 1", null)).isInstanceOf(NullPointerException.class)
                .hasMessage("row mapper must not be null");
        assertThatThrownBy(() -> JdbcQuery.of(NEVER, "  ", rs -> 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("sql must not be blank");
    }

    @Test
    void settingsMakeNewQueriesAndCreatingACursorConnectsToNothing() {
        JdbcQuery<Integer> q = JdbcQuery.of(NEVER, "SELECT ?", rs -> 1);
        JdbcQuery<Integer> tuned = q.fetchSize(10).bufferSize(20).parameters(1);
        assertThat(q).hasToString("JdbcQuery[SELECT ?, fetchSize=500, bufferSize=1000]");
        assertThat(tuned).hasToString("JdbcQuery[SELECT ?, fetchSize=10, bufferSize=20]");
        tuned.rows(); // lazy: NEVER is not called
    }

    @Test
    void aConnectionFactoryThatReturnsNullIsAnSqlError() throws Exception {
        AioTesting.runTest(TestOptions.defaults().withVirtualTime(false), () -> {
            var rows = JdbcQuery.of(() -> null, "SELECT 1", rs -> 1).rows();
            assertThatThrownBy(rows::hasNext).isInstanceOf(CompletionException.class)
                    .hasMessageStartingWith("connecting failed, query: SELECT 1: ")
                    .cause().isInstanceOf(SQLException.class)
                    .hasMessage("ConnectionFactory returned null instead of a connection");
        });
    }

    @Test
    void anSqlFailureNamesTheQueryAndTheStepAndKeepsTheSqlExceptionAsCause() throws Exception {
        var refused = new SQLException("Connection to 127.0.0.1:5432 refused");
        var bad = new SQLException("ERROR: invalid input syntax for type integer");
        AioTesting.runTest(TestOptions.defaults().withVirtualTime(false), () -> {
            var rows = JdbcQuery.of(() -> {
                throw refused;
            }, "SELECT 42", rs -> 1).rows();
            assertThatThrownBy(rows::hasNext).isInstanceOf(CompletionException.class)
                    .hasMessage("connecting failed, query: SELECT 42: " + refused)
                    .cause().isSameAs(refused);
            var mapped = JdbcQuery.of(() -> java.sql.DriverManager.getConnection("jdbc:h2:mem:"),
                    "SELECT X FROM SYSTEM_RANGE(1, 5)", rs -> {
                        if (rs.getInt(1) == 3) {
                            throw bad;
                        }
                        return rs.getInt(1);
                    }).rows();
            assertThat(mapped.next()).isEqualTo(1);
            assertThat(mapped.next()).isEqualTo(2);
            assertThatThrownBy(mapped::hasNext).isInstanceOf(CompletionException.class)
                    .hasMessage("reading row 3 failed, query: SELECT X FROM SYSTEM_RANGE(1, 5): " + bad)
                    .cause().isSameAs(bad);
        });
    }
}
