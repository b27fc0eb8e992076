package org.aio4j.process;

import java.io.IOException;
import java.io.Reader;

/**
 * A worker's output, as the lines its pool logs: a line ends at {@code \n} (a {@code \r} before it is dropped), and a
 * line longer than {@link #MAX_CHARS} comes in pieces of that length, so that a task printing megabytes without a line
 * break costs its pool a bounded buffer (where {@code BufferedReader.readLine()} would hold it all, until the pool ran
 * out of memory and its output pump died, and the worker, its standard output no longer read, blocked for ever).
 *
 * <p>Not thread-safe: the worker's output pump reads it.
 */
final class OutputLines {

    /** The longest line returned; the rest of a longer one follows in further lines. */
    static final int MAX_CHARS = 8_192;

    private final Reader in;
    private final char[] buffer = new char[8_192];
    private int position;
    private int limit;
    private final StringBuilder line = new StringBuilder();
    /** The last line returned was a piece of {@link #MAX_CHARS}: a line break right after it ends that line. */
    private boolean afterPiece;

    OutputLines(Reader in) {
        this.in = in;
    }

    /**
     * The next line, or the next {@link #MAX_CHARS} characters of a longer one, without its line break; {@code null}
     * at the end of the output. A last line without a line break is returned as it is.
     *
     * @throws IOException if reading fails
     */
    String next() throws IOException {
        line.setLength(0);
        while (true) {
            if (position == limit) {
                limit = in.read(buffer, 0, buffer.length);
                position = 0;
                if (limit < 0) {
                    limit = 0;
                    return line.isEmpty() ? null : line.toString();
                }
            }
            while (position < limit) {
                char c = buffer[position++];
                if (c == '\n') {
                    int end = line.length();
                    if (end > 0 && line.charAt(end - 1) == '\r') {
                        line.setLength(end - 1);
                    }
                    if (afterPiece && line.isEmpty()) {
                        afterPiece = false;
                        continue;   // the line was exactly the pieces returned: no empty line after them
                    }
                    afterPiece = false;
                    return line.toString();
                }
                line.append(c);
                afterPiece &= c == '\r';
                if (line.length() == MAX_CHARS) {
                    afterPiece = true;
                    return line.toString();
                }
            }
        }
    }
}
