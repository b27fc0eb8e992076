package org.aio4j.process;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/** What the tests' tasks do in the workers. */
final class WorkerTasks {

    private WorkerTasks() {
    }

    static long pid() {
        return ProcessHandle.current().pid();
    }

    static int square(int n) {
        return n * n;
    }

    /** Prints {@code marker pid=<pid>} (which the parent logs) and blocks until interrupted. */
    static String block(String marker) throws InterruptedException {
        System.out.println(marker + " pid=" + pid());
        try {
            new CountDownLatch(1).await();
        } catch (InterruptedException e) {
            System.out.println(marker + " interrupted");
            throw e;
        }
        return "never";
    }

    /** Prints {@code marker pid=<pid>} and spins, ignoring interrupts. */
    static String spinForever(String marker) {
        System.out.println(marker + " pid=" + pid());
        long n = 0;
        while (n >= 0) {
            n += Thread.interrupted() ? 1 : 2;
        }
        return "never";
    }

    /**
     * Prints {@code marker pid=<pid>}, spins until its thread is interrupted without clearing the interrupt (so
     * without seeing it, as code that never checks for it), prints {@code marker interrupt pending} and fails with an
     * {@link IllegalStateException} of its own.
     */
    static String failWithTheInterruptUnseen(String marker) {
        System.out.println(marker + " pid=" + pid());
        while (!Thread.currentThread().isInterrupted()) {
            Thread.onSpinWait();
        }
        System.out.println(marker + " interrupt pending");
        throw new IllegalStateException(marker + ": a failure of its own");
    }

    /**
     * Prints {@code marker pid=<pid>}, then spins, deaf to interrupts, until the file {@code gate} exists (the test
     * creates it), and returns {@code "ended by itself"}.
     */
    static String deafUntil(String gate, String marker) {
        System.out.println(marker + " pid=" + pid());
        while (!Files.exists(Path.of(gate))) {
            Thread.onSpinWait();
        }
        return "ended by itself";
    }

    /** Appends a line to {@code journal}, without a result: a task for submit(SerializableRunnable). */
    static void touch(String journal) {
        try {
            Files.writeString(Path.of(journal), "ran\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND,
                    StandardOpenOption.CREATE);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Appends {@code id} to {@code journal} (one line per run: the test checks nothing ran twice). */
    static int journal(String journal, int id) throws IOException {
        Files.writeString(Path.of(journal), id + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND,
                StandardOpenOption.CREATE);
        return id * 2;
    }

    /** As {@link #journal(String, int)}, then works for {@code micros} microseconds (or until interrupted). */
    static int journal(String journal, int id, int micros) throws IOException, InterruptedException {
        journal(journal, id);
        long end = System.nanoTime() + micros * 1000L;
        while (System.nanoTime() < end) {
            if (Thread.interrupted()) {
                throw new InterruptedException("call " + id + " interrupted");
            }
        }
        return id * 2;
    }

    /** A serializable lambda, made in a worker and returned as a result. */
    static SerializableCallable<Integer> adder(int n) {
        return () -> n + 1;
    }

    /** An exception whose message cannot be had: its {@code getMessage()}, hence its {@code toString()}, throws. */
    static final class Unprintable extends RuntimeException {
        private static final long serialVersionUID = 1L;

        @Override
        public String getMessage() {
            throw new Unprintable();
        }
    }

    /** An {@link Error} whose {@code getMessage()}, hence its {@code toString()}, throws an {@link Unprintable}. */
    static final class UnprintableError extends Error {
        private static final long serialVersionUID = 1L;

        @Override
        public String getMessage() {
            throw new Unprintable();
        }
    }

    /** A result that is written without trouble, but fails with an {@link Unprintable} when it is read back. */
    static final class ReadsUnprintably implements Serializable {
        private static final long serialVersionUID = 1L;

        @java.io.Serial
        private void readObject(java.io.ObjectInputStream in) {
            throw new Unprintable();
        }
    }

    /** An exception that cannot be sent (it holds an object that is not serializable) and whose message throws. */
    static final class UnsendableUnprintable extends RuntimeException {
        private static final long serialVersionUID = 1L;
        @SuppressWarnings("serial")
        private final Object notSerializable = new Object();

        @Override
        public String getMessage() {
            throw new Unprintable();
        }
    }

    /** A result that is written without trouble, but fails with an {@link Error} when it is read back. */
    static final class Fragile implements Serializable {
        private static final long serialVersionUID = 1L;

        @java.io.Serial
        private void readObject(java.io.ObjectInputStream in) {
            throw new AssertionError("a Fragile cannot be read back");
        }
    }

    /** An exception that is written without trouble, but fails with an {@link Error} when it is read back. */
    static final class FragileException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        FragileException(String message) {
            super(message);
        }

        @java.io.Serial
        private void readObject(java.io.ObjectInputStream in) {
            throw new AssertionError("a FragileException cannot be read back");
        }
    }

    /** Runs {@code echo text} with the worker's standard streams ({@code inheritIO()}), and returns its exit status. */
    static int echoToInheritedOutput(String text) throws IOException, InterruptedException {
        return new ProcessBuilder("echo", text).inheritIO().start().waitFor();
    }

    /**
     * Runs {@code wc -c} with the worker's standard input (a tool reading its input to the end, as {@code sort} or
     * {@code ssh} do) and returns what it counted.
     */
    static String countInheritedInput() throws IOException, InterruptedException {
        Process wc = new ProcessBuilder("wc", "-c").redirectInput(ProcessBuilder.Redirect.INHERIT)
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String counted = new String(wc.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        wc.waitFor();
        return counted;
    }

    /** Reads a byte from the worker's file descriptor 0 itself, not through {@code System.in}; -1 at its end. */
    static int readFileDescriptorIn() throws IOException {
        // Not closed: that would close the worker's file descriptor 0.
        return new FileInputStream(FileDescriptor.in).read();
    }

    /** Writes {@code text} to the worker's file descriptor 1 itself, not through {@code System.out}. */
    static int writeToFileDescriptorOut(String text) throws IOException {
        // Not closed: that would close the worker's file descriptor 1.
        var out = new FileOutputStream(FileDescriptor.out);
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
        return text.length();
    }

    /** Writes {@code text} to file descriptor 1 with the C library's {@code write}, as a native library would. */
    static long writeNatively(String text) throws Exception {
        Linker linker = Linker.nativeLinker();
        MethodHandle write = linker.downcallHandle(linker.defaultLookup().find("write").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                        ValueLayout.JAVA_LONG));
        try (Arena arena = Arena.ofConfined()) {
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            MemorySegment buffer = arena.allocate(bytes.length);
            MemorySegment.copy(bytes, 0, buffer, ValueLayout.JAVA_BYTE, 0, bytes.length);
            return (long) write.invokeExact(1, buffer, (long) bytes.length);
        } catch (Exception | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** Prints {@code chars} characters, {@code x}s then one {@code end}, with no line break, and exits with {@code status}. */
    static int printOneLongLineAndExit(int chars, char end, int status) {
        System.out.print("x".repeat(chars - 1) + end);
        System.out.flush();
        System.exit(status);
        return 0;
    }

    /**
     * Starts {@code sleep 3600} with the worker's standard streams ({@code inheritIO()}), writes its pid to
     * {@code pidFile} and exits the worker with {@code status}, leaving the sleep running.
     */
    static int exitLeavingASubprocessWithTheStreams(String pidFile, int status) throws IOException {
        Process sleep = new ProcessBuilder("sleep", "3600").inheritIO().start();
        Files.writeString(Path.of(pidFile), Long.toString(sleep.pid()));
        System.exit(status);
        return 0;
    }

    /**
     * Starts, and leaves running, a shell with the worker's standard output that writes {@code stray} there once a
     * line can be read from the named pipe {@code go}, then writes a line to the named pipe {@code done}.
     */
    static int leaveStrayWriter(String go, String stray, String done) throws IOException {
        new ProcessBuilder("sh", "-c", "read x < \"$1\"; printf '%s' \"$2\"; echo done > \"$3\"", "sh", go, stray, done)
                .inheritIO().start();
        return 0;
    }

    /** How many times {@link #initialize} ran in this JVM. */
    private static final AtomicInteger INITIALIZED = new AtomicInteger();

    /**
     * An initializer: counts its runs, sets the system property {@code aio4j.test.init} to {@code marker}, appends
     * the pid to {@code journal} and prints {@code init pid=<pid>}.
     */
    static void initialize(String journal, String marker) {
        INITIALIZED.incrementAndGet();
        System.setProperty("aio4j.test.init", marker);
        try {
            Files.writeString(Path.of(journal), pid() + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND,
                    StandardOpenOption.CREATE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        System.out.println("init pid=" + pid());
    }

    /** What {@link #initialize} left in this JVM: {@code "<pid> <runs> <marker>"}. */
    static String initialized() {
        return pid() + " " + INITIALIZED.get() + " " + System.getProperty("aio4j.test.init");
    }

    /**
     * An initializer that succeeds in the first worker to create the file {@code flag} and throws an
     * {@link IllegalStateException} in any other.
     */
    static void initializeFirstOnly(String flag) {
        try {
            Files.createFile(Path.of(flag));
        } catch (IOException e) {
            throw new IllegalStateException("not the first worker: " + e.getClass().getSimpleName());
        }
    }

    /** {@code [id, pid]}, once {@code id} is appended to {@code journal}. */
    static List<Long> idAndPid(String journal, int id) throws IOException {
        journal(journal, id);
        return List.of((long) id, pid());
    }

    /** A serializable class outside the default allow-list. */
    record Secret(String text) implements Serializable {
    }

    /** A class that is not serializable at all. */
    static final class Unserializable {
        final int value = 7;
    }

    /** An exception that cannot be serialized: it holds a plain Object. */
    static final class Unsendable extends RuntimeException {
        private static final long serialVersionUID = 1L;
        @SuppressWarnings("serial")
        final Object payload = new Object();

        Unsendable(String message) {
            super(message);
        }

        Unsendable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** A value whose writing fails with an unchecked exception (a writeObject that checks an invariant, say). */
    static final class Unwritable implements Serializable {
        private static final long serialVersionUID = 1L;

        @java.io.Serial
        private void writeObject(java.io.ObjectOutputStream out) {
            throw new IllegalStateException("an Unwritable cannot be written");
        }
    }

    /** A value whose writing fails with an {@link Error} (an {@code assert} in a writeObject, say). */
    static final class UnwritableByError implements Serializable {
        private static final long serialVersionUID = 1L;

        @java.io.Serial
        private void writeObject(java.io.ObjectOutputStream out) {
            throw new AssertionError("an UnwritableByError cannot be written");
        }
    }

    /** An exception that holds a value that cannot be written, an {@link Unwritable} or an {@link UnwritableByError}. */
    static final class CarriesUnwritable extends RuntimeException {
        private static final long serialVersionUID = 1L;
        @SuppressWarnings("serial")
        final Serializable value;

        CarriesUnwritable(String message, Serializable value) {
            super(message);
            this.value = value;
        }
    }

    /** A checked exception of the tests' own. */
    static final class TaskFailed extends Exception {
        private static final long serialVersionUID = 1L;

        TaskFailed(String message) {
            super(message);
        }
    }
}
