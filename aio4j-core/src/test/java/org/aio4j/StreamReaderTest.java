package org.aio4j;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.net.SocketException;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;

/**
 * StreamReader's parsing, fed by hand as asyncio's tests feed theirs ({@code feed_data}, {@code feed_eof}); the
 * expected values are what CPython 3.13's {@code asyncio.StreamReader} returns for the same feeds.
 */
class StreamReaderTest {

    private static byte[] b(String s) {
        return s.getBytes(US_ASCII);
    }

    private static String s(byte[] bytes) {
        return new String(bytes, US_ASCII);
    }

    /** Feeds the pieces one per loop iteration, so that a task waiting in a read runs between them. */
    private static void feedInTurns(StreamReader r, String... pieces) {
        for (String piece : pieces) {
            Aio.sleep(0);
            r.feedData(b(piece));
        }
    }

    /** Asserts that {@code read} throws an IncompleteReadException with this partial, expected count and message. */
    private static void assertIncomplete(org.assertj.core.api.ThrowableAssert.ThrowingCallable read, String partial,
                                         int expected, String message) {
        assertThatThrownBy(read).isInstanceOfSatisfying(IncompleteReadException.class, e -> {
            assertThat(s(e.partial())).isEqualTo(partial);
            assertThat(e.expected()).isEqualTo(expected);
            assertThat(e).hasMessage(message);
        });
    }

    @Test
    void readlineReturnsWholeLinesThenThePartialLastOneThenEmpty() throws Exception {
        TestLoops.runVirtual(() -> {
            var r = new StreamReader(StreamReader.DEFAULT_LIMIT, null);
            r.feedData(b("one\ntw"));
            r.feedData(b("o\nthr"));
            r.feedEof();
            assertThat(s(r.readline())).isEqualTo("one\n");
            assertThat(s(r.readline())).isEqualTo("two\n");
            assertThat(r.atEof()).isFalse();
            assertThat(s(r.readline())).isEqualTo("thr");
            assertThat(r.atEof()).isTrue();
            assertThat(r.readline()).isEmpty();
            return null;
        });
    }

    @Test
    void readlineSuspendsUntilTheLineIsComplete() throws Exception {
        TestLoops.runVirtual(() -> {
            var r = new StreamReader(StreamReader.DEFAULT_LIMIT, null);
            Task<String> line = Aio.createTask(() -> s(r.readline()));
            feedInTurns(r, "hel");
            Aio.sleep(0);
            assertThat(line.isDone()).isFalse();
            r.feedData(b("lo\nrest"));
            assertThat(line.await()).isEqualTo("hello\n");
            assertThat(s(r.read(100))).isEqualTo("rest");
            return null;
        });
    }

    @Test
    void readexactlyWaitsForAllItsBytesAndReportsThePartialOnesAtEof() throws Exception {
        TestLoops.runVirtual(() -> {
            var r = new StreamReader(4, null); // the limit does not bound readexactly
            Task<String> ten = Aio.createTask(() -> s(r.readexactly(10)));
            feedInTurns(r, "012", "3456", "789ab");
            assertThat(ten.await()).isEqualTo("0123456789");
            r.feedEof();
            assertThat(r.readexactly(0)).isEmpty();
            assertIncomplete(() -> r.readexactly(5), "ab", 5, "2 bytes read on a total of 5 expected bytes");
            assertThat(r.atEof()).isTrue();
            return null;
        });
    }

    @Test
    void readuntilFindsASeparatorSplitAcrossFeedsAndEndsIncompleteAtEof() throws Exception {
        TestLoops.runVirtual(() -> {
            var r = new StreamReader(StreamReader.DEFAULT_LIMIT, null);
            Task<String> until = Aio.createTask(() -> s(r.readuntil(b("\r\n\r\n"))));
            feedInTurns(r, "GET / HTTP/1.1\r\nHost: x\r", "\n\r", "\nbody");
            assertThat(until.await()).isEqualTo("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            r.feedEof();
            assertIncomplete(() -> r.readuntil(b("\r\n\r\n")), "body", -1,
                    "4 bytes read on a total of undefined expected bytes");
            assertThat(r.atEof()).isTrue();
            return null;
        });
    }

    @Test
    void readuntilOverTheLimitThrowsAndKeepsTheDataWhileReadlineDropsIt() throws Exception {
        TestLoops.runVirtual(() -> {
            var r = new StreamReader(5, null);
            r.feedData(b("abcdefgh|rest"));
            // Found beyond the limit: consumed is the separator's index, the data stays.
            assertThatThrownBy(() -> r.readuntil(b("|"))).isInstanceOfSatisfying(LimitOverrunException.class, e -> {
                assertThat(e.consumed()).isEqualTo(8);
                assertThat(e).hasMessage("Separator is found, but chunk is longer than limit");
            });
            assertThat(r.bufferedSize()).isEqualTo(13);
            // Not found in more than the limit: consumed is how far the search got.
            assertThatThrownBy(() -> r.readuntil(b("#"))).isInstanceOfSatisfying(LimitOverrunException.class, e -> {
                assertThat(e.consumed()).isEqualTo(13);
                assertThat(e).hasMessage("Separator is not found, and chunk exceed the limit");
            });
            assertThat(s(r.read(9))).isEqualTo("abcdefgh|");
            assertThat(s(r.readuntil(b("st")))).isEqualTo("rest");

            // readline drops the line if its end is there (asyncio's ValueError case), else the whole buffer.
            r.feedData(b("0123456789\nok\n"));
            assertThatThrownBy(r::readline).isInstanceOf(LimitOverrunException.class);
            assertThat(s(r.readline())).isEqualTo("ok\n");
            r.feedData(b("0123456789ab"));
            assertThatThrownBy(r::readline).isInstanceOf(LimitOverrunException.class);
            assertThat(r.bufferedSize()).isZero();
            return null;
        });
    }

    /**
     * CPython 3.13's readuntil takes a tuple of separators (a line ending in "\r\n" or "\n"); there was no way to
     * give more than one. The values are what asyncio 3.13 returns for the same feeds.
     */
    @Test
    void readuntilOfSeveralSeparatorsStopsAtTheOneThatEndsFirstAsAsyncio313() throws Exception {
        TestLoops.runVirtual(() -> {
            var r = new StreamReader(StreamReader.DEFAULT_LIMIT, null);
            r.feedData(b("one\r\ntwo\nthree"));
            assertThat(s(r.readuntil(b("\r\n"), b("\n")))).isEqualTo("one\r\n");
            assertThat(s(r.readuntil(b("\r\n"), b("\n")))).isEqualTo("two\n");
            // split across feeds: the longer one ends first
            Task<String> until = Aio.createTask(() -> s(r.readuntil(b("Z!"), b("XYZ"))));
            feedInTurns(r, "XY", "Z!");
            assertThat(until.await()).isEqualTo("threeXYZ");
            r.feedEof();
            assertIncomplete(() -> r.readuntil(b("\r\n"), b("\n")), "!", -1,
                    "1 bytes read on a total of undefined expected bytes");

            var limited = new StreamReader(3, null);
            limited.feedData(b("abc\r\n"));
            // both end at the same byte: the shorter counts, whose start (4) is beyond the limit
            assertThatThrownBy(() -> limited.readuntil(b("\r\n"), b("\n")))
                    .isInstanceOfSatisfying(LimitOverrunException.class, e -> {
                        assertThat(e.consumed()).isEqualTo(4);
                        assertThat(e).hasMessage("Separator is found, but chunk is longer than limit");
                    });
            assertThat(s(limited.readuntil(b("\r\n")))).isEqualTo("abc\r\n"); // alone, it starts at 3
            limited.feedData(b("abcdefg"));
            // none: the search went as far as the longest could start
            assertThatThrownBy(() -> limited.readuntil(b("||"), b("|||")))
                    .isInstanceOfSatisfying(LimitOverrunException.class, e -> assertThat(e.consumed()).isEqualTo(5));
            assertThat(limited.bufferedSize()).isEqualTo(7);

            assertThatThrownBy(() -> r.readuntil(b("\n"), b("x"), null)).isInstanceOf(NullPointerException.class)
                    .hasMessageContaining("separator 2");
            assertThatThrownBy(() -> r.readuntil(b("\n"), new byte[0])).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("separator 1 must not be empty");
            return null;
        });
    }

    @Test
    void readToTheEndReturnsEverythingOnceTheStreamEnds() throws Exception {
        TestLoops.runVirtual(() -> {
            var r = new StreamReader(4, null);
            Task<String> all = Aio.createTask(() -> s(r.read()));
            for (int i = 0; i < 10; i++) {
                feedInTurns(r, "chunk" + i + ";");
            }
            Aio.sleep(0);
            assertThat(all.isDone()).isFalse();
            r.feedEof();
            assertThat(all.await()).isEqualTo("chunk0;chunk1;chunk2;chunk3;chunk4;chunk5;chunk6;chunk7;chunk8;"
                    + "chunk9;");
            assertThat(r.read(-1)).isEmpty();
            assertThat(r.read()).isEmpty();
            assertThat(r.read(10)).isEmpty();
            return null;
        });
    }

    @Test
    void aCancelledReadTakesNoByte() throws Exception {
        TestLoops.runVirtual(() -> {
            var r = new StreamReader(StreamReader.DEFAULT_LIMIT, null);
            for (Coroutine<byte[]> read : java.util.List.<Coroutine<byte[]>>of(() -> r.read(-1), r::readline,
                    () -> r.readexactly(8), () -> r.readuntil(b("!")))) {
                Task<byte[]> t = Aio.createTask(read);
                feedInTurns(r, "abc");
                Aio.sleep(0);
                t.cancel();
                assertThatThrownBy(t::await).isInstanceOf(CancellationException.class);
                assertThat(s(r.read(3))).isEqualTo("abc");
            }
            return null;
        });
    }

    private static SocketException connectionReset() {
        return new SocketException("Connection reset");
    }

    @Test
    void aFailureIsThrownByEveryReadEvenWithBytesLeft() throws Exception {
        TestLoops.runVirtual(() -> {
            var r = new StreamReader(StreamReader.DEFAULT_LIMIT, null);
            Task<byte[]> waiting = Aio.createTask(() -> r.readexactly(4));
            Aio.sleep(0);
            r.feedData(b("ab"));
            var reset = Aio.toThread(StreamReaderTest::connectionReset); // made by another thread, as the reader's
            r.setException(reset);
            // each read throws a copy made in its task (its stack shows the task's line), the connection's as cause
            for (var read : java.util.List.<org.assertj.core.api.ThrowableAssert.ThrowingCallable>of(waiting::await,
                    () -> r.read(1), r::readline)) {
                assertThatThrownBy(read).isExactlyInstanceOf(SocketException.class).hasMessage("Connection reset")
                        .cause().isSameAs(reset);
            }
            assertThat(java.util.Arrays.stream(catchThrowable(() -> r.read(1)).getStackTrace())
                    .map(StackTraceElement::getMethodName))
                    .anyMatch(m -> m.contains("aFailureIsThrownByEveryReadEvenWithBytesLeft"));
            assertThat(reset.getStackTrace()).noneMatch(f -> f.getMethodName()
                    .contains("aFailureIsThrownByEveryReadEvenWithBytesLeft"));
            var closed = new java.nio.channels.ClosedChannelException(); // no constructor with a message: as it is
            var other = new StreamReader(StreamReader.DEFAULT_LIMIT, null);
            other.setException(closed);
            assertThatThrownBy(other::readline).isSameAs(closed);
            return null;
        });
    }

    /**
     * Bytes that came before the failure, in the same loop iteration, go to the read they woke, as asyncio's do (its
     * waiter was woken by the data, and the read goes on with it): the read's outcome does not depend on whether the
     * failure was posted before the reading task ran. A read they do not satisfy throws the failure when it would
     * wait again (asyncio's would wait for ever). Found by differential fuzzing against CPython 3.13.
     */
    @Test
    void aReadWokenByBytesGetsThemWhenTheFailureFollowsInTheSameIteration() throws Exception {
        TestLoops.runVirtual(() -> {
            var reset = connectionReset();
            var forRead = new StreamReader(StreamReader.DEFAULT_LIMIT, null);
            var forLine = new StreamReader(StreamReader.DEFAULT_LIMIT, null);
            var forExactly = new StreamReader(StreamReader.DEFAULT_LIMIT, null);
            var forUntil = new StreamReader(StreamReader.DEFAULT_LIMIT, null);
            Task<byte[]> read = Aio.createTask(() -> forRead.read(5));
            Task<byte[]> line = Aio.createTask(forLine::readline);
            Task<byte[]> exactly = Aio.createTask(() -> forExactly.readexactly(2));
            Task<byte[]> until = Aio.createTask(() -> forUntil.readuntil(b("|")));
            Aio.sleep(0); // all four wait
            forRead.feedData(b("abc"));
            forLine.feedData(b("x\ny"));
            forExactly.feedData(b("ab"));
            forUntil.feedData(b("a"));
            for (var r : java.util.List.of(forRead, forLine, forExactly, forUntil)) {
                r.setException(reset);
            }
            assertThat(s(read.await())).isEqualTo("abc");
            assertThat(s(line.await())).isEqualTo("x\n");
            assertThat(s(exactly.await())).isEqualTo("ab");
            assertThatThrownBy(until::await).isExactlyInstanceOf(SocketException.class).cause().isSameAs(reset);
            assertThatThrownBy(forLine::readline).isExactlyInstanceOf(SocketException.class); // "y" is not read
            return null;
        });
    }

    /**
     * The line that {@code lines()}'s {@code hasNext()} found is {@code next()}'s, even if the connection failed after
     * its bytes came, in the same loop iteration: the next {@code hasNext()} throws the failure. As asyncio's
     * {@code async for}, whose {@code __anext__} returns the line (found by differential fuzzing against CPython 3.13).
     */
    @Test
    void linesGivesTheLineItFoundBeforeTheFailureThatFollowedItsBytes() throws Exception {
        TestLoops.runVirtual(() -> {
            var r = new StreamReader(StreamReader.DEFAULT_LIMIT, null);
            var seen = new java.util.ArrayList<String>();
            Task<Void> loop = Aio.createTask(() -> {
                for (byte[] line : r.lines()) {
                    seen.add(s(line));
                }
            });
            Aio.sleep(0); // hasNext() waits
            r.feedData(b("x\ny"));
            var reset = connectionReset();
            r.setException(reset);
            assertThatThrownBy(loop::await).isInstanceOf(java.util.concurrent.CompletionException.class)
                    .cause().isExactlyInstanceOf(SocketException.class);
            assertThat(seen).containsExactly("x\n");
            return null;
        });
    }

    /**
     * A read woken by bytes holds the wait until its task resumes: another task's read that has to wait before then
     * is refused, as while the first one waits. asyncio's clears its waiter at the wake-up, so there the second read
     * waits, and the first, resuming to wait again, drops the second's waiter: it never wakes (found by differential
     * fuzzing against CPython 3.13).
     */
    @Test
    void aReadWokenButNotResumedYetStillHoldsTheWait() throws Exception {
        TestLoops.runVirtual(() -> {
            var r = new StreamReader(StreamReader.DEFAULT_LIMIT, null);
            Task<byte[]> first = Aio.createTask(() -> r.readuntil(b("|")));
            Aio.sleep(0); // first waits
            Task<byte[]> second = Aio.createTask(() -> r.readuntil(b("|")));
            r.feedData(b("a")); // wakes first, which resumes after second's first step
            assertThatThrownBy(second::await).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("another task is already waiting");
            Aio.sleep(0); // first resumed, found no separator, and waits again
            r.feedData(b("b|"));
            assertThat(s(first.await())).isEqualTo("ab|");
            return null;
        });
    }

    /** asyncio's exception(): there was no way to ask a reader whether its connection had failed but to read. */
    @Test
    void exceptionIsTheConnectionsOwnErrorOnceItFailedAndNullBefore() throws Exception {
        TestLoops.runVirtual(() -> {
            var r = new StreamReader(StreamReader.DEFAULT_LIMIT, null);
            assertThat(r.exception()).isNull();
            r.feedData(b("ab"));
            r.feedEof(); // the end of the stream is no failure
            assertThat(r.exception()).isNull();
            var reset = connectionReset();
            r.setException(reset);
            assertThat(r.exception()).isSameAs(reset);
            assertThatThrownBy(() -> r.read(1)).isExactlyInstanceOf(SocketException.class).cause().isSameAs(reset);
            assertThat(r.exception()).isSameAs(reset); // reading does not clear it
            var error = Aio.toThread(() -> catchThrowable(r::exception));
            assertThat(error).isInstanceOf(IllegalStateException.class).hasMessageContaining("StreamReader.exception");
            return null;
        });
    }

    /**
     * asyncio's IncompleteReadError(partial, expected) and LimitOverrunError(message, consumed) can be raised by a
     * reader or a test of one's own; their constructors here were package-private.
     */
    @Test
    void theReadErrorsCanBeMadeByHandAsAsyncios() {
        byte[] partial = b("abc");
        var incomplete = new IncompleteReadException(partial, 10);
        partial[0] = 'X';
        assertThat(s(incomplete.partial())).isEqualTo("abc");
        assertThat(incomplete.expected()).isEqualTo(10);
        assertThat(incomplete).hasMessage("3 bytes read on a total of 10 expected bytes");
        assertThat(new IncompleteReadException(new byte[0], -1))
                .hasMessage("0 bytes read on a total of undefined expected bytes");
        assertThatThrownBy(() -> new IncompleteReadException(null, 1)).isInstanceOf(NullPointerException.class)
                .hasMessage("partial must not be null");
        assertThatThrownBy(() -> new IncompleteReadException(partial, -2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("expected must be >= 0, or -1 for undefined, got -2");

        var overrun = new LimitOverrunException("Separator is not found, and chunk exceed the limit", 7);
        assertThat(overrun.consumed()).isEqualTo(7);
        assertThat(overrun).hasMessage("Separator is not found, and chunk exceed the limit");
        assertThatThrownBy(() -> new LimitOverrunException("x", -1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("consumed must be >= 0, got -1");
    }

    /**
     * asyncio's {@code async for line in reader:} (StreamReader.__anext__, readline() until b''): there was no way
     * to iterate a reader's lines with a for loop.
     */
    @Test
    void linesIteratesAsAsyncForOverAReaderDoesAndHoldsNoByteOfItsOwn() throws Exception {
        TestLoops.runVirtual(() -> {
            var r = new StreamReader(StreamReader.DEFAULT_LIMIT, null);
            var seen = new java.util.ArrayList<String>();
            Task<Void> consumer = Aio.createTask(() -> {
                for (byte[] line : r.lines()) {
                    seen.add(s(line));
                }
                return null;
            });
            feedInTurns(r, "one\ntw", "o\n", "three\nla", "st");
            Aio.sleep(0);
            assertThat(seen).containsExactly("one\n", "two\n", "three\n");
            r.feedEof();
            consumer.await();
            assertThat(seen).containsExactly("one\n", "two\n", "three\n", "last");
            assertThat(r.lines().hasNext()).isFalse();
            assertThatThrownBy(() -> r.lines().next()).isInstanceOf(java.util.NoSuchElementException.class);

            // Breaking out, a cancelled hasNext() and a closed iterator leave every byte to the next read.
            var r2 = new StreamReader(StreamReader.DEFAULT_LIMIT, null);
            r2.feedData(b("a\nb\npart"));
            try (AsyncIterator<byte[]> lines = r2.lines()) {
                assertThat(s(lines.next())).isEqualTo("a\n");
                assertThat(lines.hasNext()).isTrue();
            }
            assertThat(s(r2.readline())).isEqualTo("b\n");
            AsyncIterator<byte[]> waiting = r2.lines();
            Task<Boolean> hasNext = Aio.createTask(waiting::hasNext);
            Aio.sleep(0);
            hasNext.cancel();
            assertThatThrownBy(hasNext::await).isInstanceOf(CancellationException.class);
            assertThat(waiting.hasNext()).isFalse(); // ended by the cancellation, as the contract says
            assertThat(r2.bufferedSize()).isEqualTo(4);

            // A failure ends the iteration, thrown wrapped as the contract says; a line over the limit is dropped.
            var r3 = new StreamReader(3, null);
            r3.feedData(b("toolong\nok\n"));
            AsyncIterator<byte[]> lines3 = r3.lines();
            assertThatThrownBy(lines3::hasNext).isInstanceOf(java.util.concurrent.CompletionException.class)
                    .cause().isInstanceOf(LimitOverrunException.class);
            assertThat(lines3.hasNext()).isFalse();
            assertThat(s(r3.lines().next())).isEqualTo("ok\n");
            var reset = connectionReset();
            r3.setException(reset);
            assertThatThrownBy(() -> r3.lines().hasNext()).isInstanceOf(java.util.concurrent.CompletionException.class)
                    .cause().isExactlyInstanceOf(SocketException.class).cause().isSameAs(reset);
            return null;
        });
    }

    @Test
    void badArgumentsAreRefusedNamingThem() throws Exception {
        TestLoops.runVirtual(() -> {
            var r = new StreamReader(StreamReader.DEFAULT_LIMIT, null);
            assertThatThrownBy(() -> r.read(-2)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("n must be >= -1");
            assertThatThrownBy(() -> r.readexactly(-1)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("readexactly(n): n must be >= 0");
            assertThatThrownBy(() -> r.readuntil(new byte[0])).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("separator must not be empty");
            assertThatThrownBy(() -> r.readuntil(null)).isInstanceOf(NullPointerException.class)
                    .hasMessageContaining("separator");
            return null;
        });
    }

    @Test
    void twoTasksWaitingForDataIsRefusedAsInAsyncio() throws Exception {
        TestLoops.runVirtual(() -> {
            var r = new StreamReader(StreamReader.DEFAULT_LIMIT, null);
            Task<byte[]> first = Aio.createTask(r::readline);
            Aio.sleep(0);
            assertThatThrownBy(() -> r.read(1)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("another task is already waiting for incoming data");
            r.feedData(b("x\n"));
            assertThat(s(first.await())).isEqualTo("x\n");
            return null;
        });
    }

    @Test
    void aReaderUsedFromAThreadThatDoesNotHoldItsLoopIsRefused() throws Exception {
        TestLoops.runVirtual(() -> {
            var r = new StreamReader(StreamReader.DEFAULT_LIMIT, null);
            r.feedData(b("x"));
            var error = Aio.toThread(() -> {
                try {
                    r.read(1);
                    return null;
                } catch (IllegalStateException | IOException e) {
                    return e;
                }
            });
            assertThat(error).isInstanceOf(IllegalStateException.class).hasMessageContaining("StreamReader.read()")
                    .hasMessageContaining("does not hold");
            return null;
        });
    }
    /**
     * asyncio's {@code feed_data} returns at once on {@code b''} (a read waiting for data goes on waiting) and asserts
     * that no data comes after {@code feed_eof}.
     */
    @Test
    void anEmptyChunkWakesNoReadAndAChunkAfterTheEndIsRefused() throws Exception {
        TestLoops.runVirtual(() -> {
            var r = new StreamReader(StreamReader.DEFAULT_LIMIT, null);
            Task<String> read = Aio.createTask(() -> s(r.read(10)));
            Aio.sleep(0); // read waits
            r.feedData(new byte[0]);
            Aio.sleep(0);
            assertThat(read.isDone()).as("a read woken by an empty chunk").isFalse();
            r.feedData(b("x"));
            assertThat(read.await()).isEqualTo("x");
            r.feedEof();
            assertThatThrownBy(() -> r.feedData(b("late"))).isInstanceOf(IllegalStateException.class)
                    .hasMessage("feedData after feedEof");
            assertThat(r.atEof()).isTrue();
            return null;
        });
    }

    /** asyncio's {@code read(0)} returns {@code b''} at once, even with nothing buffered and the stream open. */
    @Test
    void readOfZeroBytesReturnsAtOnceWithNothingBuffered() throws Exception {
        TestLoops.runVirtual(() -> {
            var r = new StreamReader(StreamReader.DEFAULT_LIMIT, null);
            Task<byte[]> read = Aio.createTask(() -> r.read(0));
            Aio.sleep(0);
            assertThat(read.isDone()).isTrue();
            assertThat(read.await()).isEmpty();
            r.feedData(b("ab"));
            assertThat(r.read(0)).isEmpty();
            assertThat(r.readexactly(0)).isEmpty();
            assertThat(r.bufferedSize()).isEqualTo(2);
            return null;
        });
    }

    /**
     * asyncio's reads look at the failure before the buffer: a whole line or {@code n} bytes buffered are not read once
     * the connection failed; and a read woken by the failure alone, or by the end of the stream and the failure in one
     * iteration, throws it rather than returning what it has.
     */
    @Test
    void theFailureComesBeforeBytesAlreadyBufferedAndEndsAWaitItWoke() throws Exception {
        TestLoops.runVirtual(() -> {
            var r = new StreamReader(StreamReader.DEFAULT_LIMIT, null);
            r.feedData(b("line\nmore"));
            r.setException(connectionReset());
            assertThatThrownBy(r::readline).isExactlyInstanceOf(SocketException.class);
            assertThatThrownBy(() -> r.readuntil(b("\n"))).isExactlyInstanceOf(SocketException.class);
            assertThatThrownBy(() -> r.readexactly(2)).isExactlyInstanceOf(SocketException.class);
            assertThatThrownBy(() -> r.read(2)).isExactlyInstanceOf(SocketException.class);

            var waitingRead = new StreamReader(StreamReader.DEFAULT_LIMIT, null);
            Task<byte[]> read = Aio.createTask(() -> waitingRead.read(10));
            Aio.sleep(0); // read waits
            waitingRead.setException(connectionReset());
            assertThatThrownBy(read::await).isExactlyInstanceOf(SocketException.class);

            var toTheEnd = new StreamReader(StreamReader.DEFAULT_LIMIT, null);
            Task<byte[]> all = Aio.createTask(() -> toTheEnd.read());
            Aio.sleep(0); // all waits
            toTheEnd.feedData(b("abc"));
            toTheEnd.feedEof();
            toTheEnd.setException(connectionReset());
            assertThatThrownBy(all::await).isExactlyInstanceOf(SocketException.class);
            return null;
        });
    }

    /** A separator is found at the very start of the buffer, and when it is all the buffer holds. */
    @Test
    void aSeparatorIsFoundFirstInTheBufferAndWhenItFillsIt() throws Exception {
        TestLoops.runVirtual(() -> {
            var r = new StreamReader(StreamReader.DEFAULT_LIMIT, null);
            r.feedData(b("\nabc"));
            r.feedEof();
            assertThat(s(r.readline())).isEqualTo("\n");
            assertThat(s(r.readline())).isEqualTo("abc");
            var exact = new StreamReader(StreamReader.DEFAULT_LIMIT, null);
            exact.feedData(b("ab"));
            exact.feedEof();
            assertThat(s(exact.readuntil(b("ab")))).isEqualTo("ab");
            return null;
        });
    }

    /**
     * asyncio raises LimitOverrunError for a separator not found only once more than {@code limit} bytes are known
     * not to begin one: a line of exactly {@code limit} bytes before its end is read whole, its end coming later.
     */
    @Test
    void aLineOfExactlyTheLimitWaitsForItsEnd() throws Exception {
        TestLoops.runVirtual(() -> {
            var r = new StreamReader(3, null);
            Task<String> line = Aio.createTask(() -> s(r.readline()));
            feedInTurns(r, "abc", "\n");
            assertThat(line.await()).isEqualTo("abc\n");
            return null;
        });
    }

    /**
     * The buffer's array keeps the bytes of earlier reads past its end: no search looks at them. A line found in them
     * was returned with bytes never fed; a line over the limit that a stale newline seemed to end dropped more bytes
     * than the buffer held.
     */
    @Test
    void bytesOfEarlierReadsLeftInTheArrayAreNeverSeenAgain() throws Exception {
        TestLoops.runVirtual(() -> {
            var r = new StreamReader(StreamReader.DEFAULT_LIMIT, null);
            r.feedData(b("ab\n"));
            assertThat(s(r.readline())).isEqualTo("ab\n");
            r.feedData(b("xy"));
            r.feedEof();
            assertThat(s(r.readline())).isEqualTo("xy");

            var limited = new StreamReader(4, null);
            limited.feedData(b("abcdef\n"));
            assertThat(s(limited.readexactly(7))).isEqualTo("abcdef\n"); // the array keeps "\n" at index 6
            limited.feedData(b("uvwxyz")); // over the limit, and no newline: the whole buffer is dropped
            assertThatThrownBy(limited::readline).isInstanceOf(LimitOverrunException.class);
            assertThat(limited.bufferedSize()).isZero();
            limited.feedData(b("ok\n"));
            assertThat(s(limited.readline())).isEqualTo("ok\n");
            return null;
        });
    }

    /**
     * {@code next()} takes the line {@code hasNext()} found only while nothing was read since and the iterator is
     * open: a read in between makes it look again, a close makes it throw.
     */
    @Test
    void linesNextLooksAgainAfterAReadAndThrowsAfterAClose() throws Exception {
        TestLoops.runVirtual(() -> {
            var r = new StreamReader(StreamReader.DEFAULT_LIMIT, null);
            r.feedData(b("ab\ncd\n"));
            AsyncIterator<byte[]> lines = r.lines();
            assertThat(lines.hasNext()).isTrue();
            assertThat(s(r.read(1))).isEqualTo("a");
            assertThat(s(lines.next())).isEqualTo("b\n");
            assertThat(lines.hasNext()).isTrue();
            lines.close();
            assertThatThrownBy(lines::next).isInstanceOf(java.util.NoSuchElementException.class);
            assertThat(s(r.readline())).isEqualTo("cd\n");
            return null;
        });
    }

    /** Two chunks fed in one iteration to a waiting read both go to it. */
    @Test
    void twoChunksFedInOneIterationBothGoToTheWaitingRead() throws Exception {
        TestLoops.runVirtual(() -> {
            var r = new StreamReader(StreamReader.DEFAULT_LIMIT, null);
            Task<String> read = Aio.createTask(() -> s(r.read(10)));
            Aio.sleep(0);
            r.feedData(b("a"));
            r.feedData(b("b"));
            assertThat(read.await()).isEqualTo("ab");
            return null;
        });
    }

    /** As asyncio's repr: what is buffered, the end, the failure and a waiting task; and the limit is checked. */
    @Test
    void theReaderPrintsItsStateAndRefusesALimitUnderOne() throws Exception {
        TestLoops.runVirtual(() -> {
            var r = new StreamReader(StreamReader.DEFAULT_LIMIT, null);
            assertThat(r).hasToString("StreamReader[buffered=0]");
            Task<byte[]> read = Aio.createTask(() -> r.read(1));
            Aio.sleep(0);
            assertThat(r).hasToString("StreamReader[buffered=0, a task waits]");
            r.feedData(b("abc"));
            read.await();
            r.feedEof();
            assertThat(r).hasToString("StreamReader[buffered=2, eof]");
            r.setException(connectionReset());
            assertThat(r).hasToString("StreamReader[buffered=2, eof, failed: java.net.SocketException: "
                    + "Connection reset]");
            assertThat(r.lines().toString()).isEqualTo("lines of " + r);
            assertThatThrownBy(() -> new StreamReader(0, null)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("limit must be > 0, got 0");
            assertThat(new StreamReader(1, null).limit()).isEqualTo(1);
            return null;
        });
    }
}
