package org.aio4j.process;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.ProtocolException;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The frames a pool and its worker exchange over their own connection, a Unix domain socket (see {@link Rendezvous}):
 * not the worker's standard streams, which a task, native code or a subprocess may use as they like. Each frame is a
 * type byte, the call's id, and for some a length-prefixed payload; a payload is a stream of its own, so a refused
 * one is skipped without harming the channel.
 *
 * <pre>
 * parent → worker   (standard input) socket path, token    then the end of standard input
 * worker → parent   (connection)     token                 first, so that only the worker is taken for it
 * parent → worker   INIT     0, own class names, payload (the pool's initializer, a serialized Runnable)
 *                                                  once, right after READY, if the pool has an initializer
 *                   TASK     id, own class names, payload (a serialized Callable or Runnable)
 *                   CANCEL   id                    interrupt the call if it is running
 *                   STANDIN  id, why (UTF)         the call's exception could not be read (a class this JVM cannot
 *                                                  load): send a stand-in for it; only right after that call's ERROR
 *                                                  (id 0: the initializer's ERROR)
 *                   (end of the connection)        the worker exits
 * worker → parent   READY    magic, pid            once, when the worker is ready for calls
 *                   INIT     0, payload            the initializer returned (an empty payload)
 *                   ERROR    0, payload            the initializer threw (a serialized Throwable); the worker then
 *                                                  answers STANDIN 0 if asked, and exits (status 1) when the
 *                                                  connection ends, which the parent ends once it has read either
 *                   ACCEPTED id                    the task frame was received (sent before it runs)
 *                   RESULT   id, payload           the call returned (a serialized value)
 *                   ERROR    id, payload           the call threw (a serialized Throwable)
 *                   STANDIN  id, payload           the answer to STANDIN: an {@link ExceptionStandIn} of what the
 *                                                  call threw (only JDK classes and strings, so always readable)
 * </pre>
 */
final class Protocol {

    static final byte INIT = 'I';
    static final byte TASK = 'T';
    static final byte CANCEL = 'C';
    static final byte READY = 'R';
    static final byte ACCEPTED = 'A';
    static final byte RESULT = 'V';
    static final byte ERROR = 'E';
    static final byte STANDIN = 'S';

    /**
     * "aio4j-w3": sent with READY, so that a worker of another version is caught at once; its last character is the
     * version of these frames (2: STANDIN; 3: STANDIN for the initializer's exception, the worker waiting for the end
     * of the connection after the initializer's ERROR).
     */
    static final long MAGIC = 0x61696f346a2d7733L;

    /** The length of the random token a worker presents when it connects. */
    static final int TOKEN_BYTES = 32;

    private Protocol() {
    }

    /**
     * Writes the start of a task frame, its type and id, and flushes it: a worker that has died cannot take these
     * few bytes (the write fails with a broken pipe), one that lives takes them at once, so whether the call reached
     * the worker at all is known before any of the call goes out. {@link #writeTaskRest} follows.
     */
    static void writeTaskStart(DataOutputStream out, long id) throws IOException {
        out.writeByte(TASK);
        out.writeLong(id);
        out.flush();
    }

    /** Writes the INIT frame of {@code initializer} and flushes it. */
    static void writeInit(DataOutputStream out, Payloads.Payload initializer) throws IOException {
        out.writeByte(INIT);
        out.writeLong(0);
        writeTaskRest(out, initializer.own(), initializer.bytes());
    }

    static void writeTaskRest(DataOutputStream out, Set<String> own, byte[] payload) throws IOException {
        out.writeInt(own.size());
        for (String name : own) {
            out.writeUTF(name);
        }
        writePayload(out, payload);
    }

    static Set<String> readOwnClasses(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > 10_000) {
            throw new ProtocolException("bad class count " + n + " in a task frame");
        }
        var own = new LinkedHashSet<String>();
        for (int i = 0; i < n; i++) {
            own.add(in.readUTF());
        }
        return own;
    }

    static void writeId(DataOutputStream out, byte type, long id) throws IOException {
        out.writeByte(type);
        out.writeLong(id);
        out.flush();
    }

    static void writePayload(DataOutputStream out, byte[] payload) throws IOException {
        out.writeInt(payload.length);
        out.write(payload);
        out.flush();
    }

    static byte[] readPayload(DataInputStream in, int maxBytes) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > maxBytes) {
            throw new ProtocolException("payload length " + length + " outside 0.." + maxBytes);
        }
        byte[] payload = new byte[length];
        in.readFully(payload);
        return payload;
    }
}
