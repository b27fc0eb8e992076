package org.aio4j.jdbc;

import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Turns the current row of a {@link ResultSet} into a value: the row factory of a Python DB-API cursor
 * ({@code sqlite3}'s {@code row_factory}, asyncpg's {@code record_class}).
 *
 * <p>It runs on the thread that reads the result set, off the event loop: it must read the columns of the current
 * row only (not move the cursor) and must not touch loop objects. An exception it throws surfaces at that row of the
 * {@link JdbcCursor}, after the rows before it.
 *
 * @param <R> the row type
 */
@FunctionalInterface
public interface RowMapper<R> {

    /**
     * The value of the current row of {@code row}; may be null (an SQL NULL), delivered as a row like any other.
     *
     * @param row the result set, positioned on the row to map
     * @return the row's value, or {@code null}
     * @throws SQLException if a column cannot be read; it surfaces from the cursor wrapped in a {@link
     *                      java.util.concurrent.CompletionException}
     */
    R map(ResultSet row) throws SQLException;
}
