package org.aio4j.process;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.NotSerializableException;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * The main class of a worker JVM: reads task frames from standard input, runs each call on a thread of its own and
 * writes its outcome to standard output (see {@link Protocol}). One call runs at a time; a CANCEL frame interrupts
 * it. The worker exits when its standard input ends, which happens when the pool retires it and also when the parent
 * JVM dies for any reason, {@code kill -9} included: no worker outlives its parent.
 *
 * <p>Arguments: the worker id, then the pool's {@link AllowList#toArgs() allow-list}.
 */
final class WorkerMain {

    private final int id;
    private final AllowList allow;
    private final DataInputStream in;
    private final DataOutputStream out;
    private volatile Call current;

    private WorkerMain(int id, AllowList allow, DataInputStream in, DataOutputStream out) {
        this.id = id;
        this.allow = allow;
        this.in = in;
        this.out = out;
    }

    static void main(String[] args) {
        var out = new DataOutputStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16));
        var in = new DataInputStream(new BufferedInputStream(new FileInputStream(FileDescriptor.in), 1 << 16));
        // Standard output carries the protocol: what tasks print goes to standard error, which the pool logs.
        System.setOut(System.err);
        System.setIn(InputStream.nullInputStream());
        var worker = new WorkerMain(Integer.parseInt(args[0]), AllowList.fromArgs(Arrays.asList(args).subList(1,
                args.length)), in, out);
        int status = 0;
        try {
            worker.serve();
        } catch (IOException e) {
            System.err.println("aio4j worker " + worker.id + ": " + e);
            status = 2;
        }
        System.err.flush();
        if (worker.current != null) {
            // Halt rather than exit: the call still running (the parent died) must not delay the end.
            Runtime.getRuntime().halt(status);
        }
        System.exit(status);
    }

    private void serve() throws IOException {
        synchronized (out) {
            out.writeByte(Protocol.READY);
            out.writeLong(Protocol.MAGIC);
            out.writeLong(ProcessHandle.current().pid());
            out.flush();
        }
        while (true) {
            int type;
            try {
                type = in.readByte();
            } catch (EOFException endOfInput) {
                return;
            }
            long callId = in.readLong();
            switch (type) {
                case Protocol.TASK -> {
                    Set<String> own = Protocol.readOwnClasses(in);
                    byte[] payload = Protocol.readPayload(in, allow.maxPayloadBytes);
                    synchronized (out) {
                        Protocol.writeId(out, Protocol.ACCEPTED, callId);
                    }
                    var call = new Call(callId, own, payload);
                    current = call;
                    call.thread.start();
                }
                case Protocol.CANCEL -> {
                    Call c = current;
                    if (c != null && c.id == callId) {
                        c.thread.interrupt();
                    }
                }
                default -> throw new IOException("unknown frame type " + type + " on standard input");
            }
        }
    }

    /** A call that cannot even send its outcome (out of memory...): die, so the pool fails it instead of waiting. */
    private static void cannotAnswer(Thread thread, Throwable e) {
        System.err.println("aio4j worker: " + thread.getName() + " could not send its outcome: " + e);
        Runtime.getRuntime().halt(3);
    }

    /** One call: deserialized, run and answered on its own thread, so the reader stays free for CANCEL frames. */
    private final class Call implements Runnable {
        final long id;
        final Set<String> own;
        final byte[] payload;
        final Thread thread;

        Call(long id, Set<String> own, byte[] payload) {
            this.id = id;
            this.own = own;
            this.payload = payload;
            this.thread = Thread.ofPlatform().name("aio4j-worker-" + WorkerMain.this.id + "-call-" + id)
                    .daemon().uncaughtExceptionHandler(WorkerMain::cannotAnswer).unstarted(this);
        }

        @Override
        public void run() {
            byte type;
            byte[] answer;
            try {
                Object result = execute(Payloads.decode(payload, allow, own, WorkerMain.class.getClassLoader(),
                        "reading the task in worker " + WorkerMain.this.id));
                answer = encodeResult(result);
                type = Protocol.RESULT;
            } catch (Throwable e) {
                answer = ExceptionStandIn.encode(e, allow);
                type = Protocol.ERROR;
            }
            // No longer the call a CANCEL is for: cleared before the outcome goes out, since once the parent has read
            // it, it may send the next task at once, which the reader makes current; clearing after the write could
            // then clear the next call, whose CANCEL would be ignored.
            current = null;
            try {
                synchronized (out) {
                    out.writeByte(type);
                    out.writeLong(id);
                    Protocol.writePayload(out, answer);
                }
            } catch (IOException parentGone) {
                // The parent is gone; the reader sees the end of input and halts the worker.
            }
        }

        private byte[] encodeResult(Object result) throws IOException {
            try {
                return Payloads.encode(result, allow, Set.of(), "in the task's result");
            } catch (NotSerializableException e) {
                var clear = new NotSerializableException("the task's result (a " + result.getClass().getName()
                        + ") contains a " + e.getMessage() + ", which is not Serializable");
                clear.initCause(e);
                throw clear;
            }
        }

        private Object execute(Object task) throws Exception {
            if (Thread.interrupted()) {
                // Cancelled while it was being read: it never starts.
                throw new InterruptedException("call " + id + " was cancelled before it started");
            }
            if (task instanceof Callable<?> c) {
                return c.call();
            }
            if (task instanceof Runnable r) {
                r.run();
                return null;
            }
            throw new IllegalArgumentException("a task must be a Callable or a Runnable, got " + task.getClass());
        }
    }
}
