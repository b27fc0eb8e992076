package org.aio4j.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How a worker's output is cut into the lines its pool logs. */
class OutputLinesTest {

    private static List<String> lines(Reader in) throws IOException {
        var lines = new OutputLines(in);
        var all = new ArrayList<String>();
        for (String line; (line = lines.next()) != null; ) {
            all.add(line);
        }
        return all;
    }

    private static List<String> lines(String text) throws IOException {
        return lines(new StringReader(text));
    }

    @Test
    void linesEndAtLineFeedsWithOrWithoutCarriageReturnsAndTheLastMayHaveNone() throws IOException {
        assertThat(lines("one\ntwo\r\n\nthree")).containsExactly("one", "two", "", "three");
        assertThat(lines("one\n")).containsExactly("one");
        assertThat(lines("")).isEmpty();
        assertThat(lines("a\rb\n")).containsExactly("a\rb");   // a lone carriage return is kept
    }

    @Test
    void aLineLongerThanTheLimitComesInPiecesAndNothingIsLost() throws IOException {
        int max = OutputLines.MAX_CHARS;
        String longLine = "x".repeat(max) + "y".repeat(max) + "z";
        assertThat(lines(longLine + "\nnext\n")).containsExactly("x".repeat(max), "y".repeat(max), "z", "next");
        // Exactly the limit, or twice it: its line break ends it, no empty line follows.
        assertThat(lines("x".repeat(max) + "\nnext")).containsExactly("x".repeat(max), "next");
        assertThat(lines("x".repeat(2 * max) + "\r\n\nnext"))
                .containsExactly("x".repeat(max), "x".repeat(max), "", "next");
    }

    @Test
    void readsWhatTheStreamHandsOverInAnyChunksTheSame() throws IOException {
        // A pipe delivers what the worker wrote in any pieces: one character at a time here.
        String text = "a\r\n" + "b".repeat(OutputLines.MAX_CHARS + 3) + "\n\nc";
        Reader trickle = new Reader() {
            private int next;

            @Override
            public int read(char[] buffer, int offset, int length) {
                if (next == text.length()) {
                    return -1;
                }
                buffer[offset] = text.charAt(next++);
                return 1;
            }

            @Override
            public void close() {
            }
        };
        assertThat(lines(trickle)).containsExactly("a", "b".repeat(OutputLines.MAX_CHARS), "bbb", "", "c");
    }
}
