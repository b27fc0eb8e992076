package org.aio4j.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.ObjectInputStream;
import java.lang.ref.WeakReference;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * {@link WorkerMain} run in this JVM, over two pipes that stand for its connection, so that what it keeps between
 * calls can be looked at: a worker JVM's heap cannot be, from the parent.
 */
class WorkerMainTest {

    private static final AllowList ALLOW = new AllowList(AllowList.DEFAULTS, 100, 1 << 20);

    /** What the last {@link FailsHoldingBallast} put in its exception, seen without keeping it. */
    static volatile WeakReference<Object> ballast;

    /** A task that throws an exception holding a large object of its own (not sent: it is transient). */
    static final class FailsHoldingBallast implements SerializableCallable<Object> {
        private static final long serialVersionUID = 1L;

        @Override
        public Object call() {
            var b = new byte[1 << 20];
            ballast = new WeakReference<>(b);
            throw new HoldsBallast(b);
        }
    }

    /** An exception that keeps an object graph of the task's (a buffer, a connection...) reachable. */
    static final class HoldsBallast extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient Object ballast;

        HoldsBallast(Object ballast) {
            super("failed holding a buffer");
            this.ballast = ballast;
        }
    }

    /**
     * An idle worker kept the exception of its last call, with all it reached, until its next TASK frame (for the
     * STANDIN frame that the parent sends only when it could not read the ERROR): memory held per idle worker for
     * as long as it stays idle. Now it keeps only the stand-in's text (class names, messages, stack traces), made
     * when the call failed, and the exception is unreachable once its ERROR is out; a STANDIN frame is still answered
     * with the same stand-in.
     */
    @Test
    void anIdleWorkerNoLongerKeepsTheExceptionOfItsLastCallButStillAnswersForItsStandIn() throws Exception {
        Pipe toWorker = Pipe.open();
        Pipe fromWorker = Pipe.open();
        var worker = new WorkerMain(7, ALLOW, new DataInputStream(Channels.newInputStream(toWorker.source())),
                new DataOutputStream(Channels.newOutputStream(fromWorker.sink())));
        // The sender waits for answers for ever, as in a worker JVM, whose end ends it: a daemon left parked here.
        Thread.ofPlatform().name("aio4j-worker-7-sender").daemon().start(worker::sendAnswers);
        var served = new CompletableFuture<Integer>();
        Thread.ofPlatform().name("aio4j-worker-7-reader").daemon().start(() -> {
            try {
                served.complete(worker.serve());
            } catch (Throwable e) {
                served.completeExceptionally(e);
            }
        });
        var in = new DataInputStream(Channels.newInputStream(fromWorker.source()));
        var out = new DataOutputStream(Channels.newOutputStream(toWorker.sink()));

        assertThat(in.readByte()).isEqualTo(Protocol.READY);
        assertThat(in.readLong()).isEqualTo(Protocol.MAGIC);
        in.readLong(); // pid

        Payloads.Payload task = Payloads.encodeTask(new FailsHoldingBallast(), ALLOW);
        Protocol.writeTaskStart(out, 1);
        Protocol.writeTaskRest(out, task.own(), task.bytes());
        assertThat(in.readByte()).isEqualTo(Protocol.ACCEPTED);
        assertThat(in.readLong()).isEqualTo(1);
        assertThat(in.readByte()).isEqualTo(Protocol.ERROR);
        assertThat(in.readLong()).isEqualTo(1);
        Protocol.readPayload(in, ALLOW.maxPayloadBytes);

        // The call's thread may still be returning from its run(), with the exception in a local: let it end.
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals("aio4j-worker-7-call-1")) {
                t.join();
            }
        }
        // Not a timing: a full collection (System.gc() is one with the tests' -XX:+UseParallelGC) clears a weak
        // reference to what nothing reaches; a few, in case one is skipped.
        for (int i = 0; i < 10 && ballast.get() != null; i++) {
            System.gc();
        }
        assertThat(ballast.get() == null).as("what the last call's exception held is released while the worker is"
                + " idle").isTrue();

        // The parent could not read the ERROR: it asks for the stand-in, which the worker still has.
        out.writeByte(Protocol.STANDIN);
        out.writeLong(1);
        out.writeUTF("the parent could not read it: java.lang.ClassNotFoundException: x");
        out.flush();
        assertThat(in.readByte()).isEqualTo(Protocol.STANDIN);
        assertThat(in.readLong()).isEqualTo(1);
        byte[] payload = Protocol.readPayload(in, ALLOW.maxPayloadBytes);
        Object standIn;
        try (var read = new ObjectInputStream(new ByteArrayInputStream(payload))) {
            standIn = read.readObject();
        }
        assertThat(standIn).isInstanceOf(ExceptionStandIn.class);
        assertThat(((Throwable) standIn).getMessage()).isEqualTo(HoldsBallast.class.getName()
                + ": failed holding a buffer [sent as a stand-in: the parent could not read it: "
                + "java.lang.ClassNotFoundException: x]");
        assertThat(((Throwable) standIn).getStackTrace()).anySatisfy(f -> {
            assertThat(f.getClassName()).isEqualTo(FailsHoldingBallast.class.getName());
            assertThat(f.getMethodName()).isEqualTo("call");
        });

        out.close(); // the end of the connection: the worker's reader returns its exit status
        assertThat(served.get(1, java.util.concurrent.TimeUnit.MINUTES)).isZero(); // a guard against a hang
    }
}
