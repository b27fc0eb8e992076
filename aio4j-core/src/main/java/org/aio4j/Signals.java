package org.aio4j;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The JVM's handlers of OS signals, for {@link EventLoop#addSignalHandler}: which loop holds each signal, what a
 * delivery posts to it, and the JVM's handler to put back when the loop lets the signal go.
 *
 * <p>The JDK's only API for signals is {@code sun.misc.Signal} and {@code sun.misc.SignalHandler}, in the module
 * {@code jdk.unsupported}. Compiling against them draws javac's "internal proprietary API" warning, which the build
 * treats as an error, so they are reached by reflection, here only (a handler is a {@link Proxy} of
 * {@code SignalHandler}); nothing of them is loaded before the first signal handler is added. A runtime without the
 * module (a {@code jlink}ed image that left it out) makes that add throw {@link UnsupportedOperationException}.
 *
 * <p>A signal is held by one loop at a time (the JVM has one handler per signal for the whole process); the table is
 * guarded by its own monitor, as loops on different threads may add and remove at once. The JVM runs a handler on a
 * thread of its own, started for each signal; the handler posts the loop's callback there as
 * {@link EventLoop#callSoonThreadsafe} would, and a loop that is closing or closed refuses it: it is dropped.
 */
final class Signals {

    private Signals() {
    }

    /** A signal held by {@code loop}: what each delivery runs there, in what context, and the JVM's handler before. */
    private record Held(EventLoop loop, Object signal, Runnable callback, Context context, Object previous) {
    }

    /** By the signal's name without "SIG" ("INT"). Guarded by itself. */
    private static final Map<String, Held> HELD = new HashMap<>();

    /**
     * Makes {@code callback} the handler of {@code signal} for {@code loop}, replacing the one {@code loop} had.
     *
     * @throws IllegalArgumentException if the name is unknown or the JVM keeps the signal for itself
     * @throws IllegalStateException    if another loop holds the signal, or {@code loop} is closed
     */
    static void add(EventLoop loop, String signal, Runnable callback, Bindings context) {
        String name = name(signal);
        Object sig = Jvm.signal(name, signal);
        synchronized (HELD) {
            loop.checkNotClosed(); // again, under the lock: a close that ran meanwhile has let its signals go
            Held held = HELD.get(name);
            if (held != null && held.loop != loop) {
                throw new IllegalStateException("SIG" + name + " is handled by another event loop, "
                        + describe(held.loop) + ": a signal has one handler in the JVM; remove it there"
                        + " (removeSignalHandler(\"" + name + "\")) or close that loop first");
            }
            Object previous = held != null ? held.previous : Jvm.handle(sig, name, handler(name));
            HELD.put(name, new Held(loop, sig, callback,
                    new Context(context != null ? context : Bindings.EMPTY), previous));
        }
    }

    /** Whether {@code loop} holds a signal: one may come and post work at any time. */
    static boolean heldBy(EventLoop loop) {
        synchronized (HELD) {
            for (Held held : HELD.values()) {
                if (held.loop == loop) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Puts back the JVM's handler of {@code signal} if {@code loop} holds it; whether it did.
     *
     * @throws IllegalArgumentException if the name is unknown
     */
    static boolean remove(EventLoop loop, String signal) {
        String name = name(signal);
        Jvm.signal(name, signal); // an unknown name is an error, as asyncio's invalid signal number is
        synchronized (HELD) {
            Held held = HELD.get(name);
            if (held == null || held.loop != loop) {
                return false;
            }
            release(name, held);
            return true;
        }
    }

    /** Lets every signal {@code loop} holds go, at its close. */
    static void removeAll(EventLoop loop) {
        synchronized (HELD) {
            for (String name : List.copyOf(HELD.keySet())) {
                Held held = HELD.get(name);
                if (held.loop == loop) {
                    release(name, held);
                }
            }
        }
    }

    /** Drops {@code held} and gives the signal its JVM handler back. */
    private static void release(String name, Held held) {
        HELD.remove(name);
        Jvm.handle(held.signal, name, held.previous);
    }

    /**
     * {@code signal}'s name without "SIG" (for {@link Subprocess#sendSignal}), once this system knows it as a signal.
     *
     * @throws IllegalArgumentException if it does not
     */
    static String validName(String signal) {
        String name = name(signal);
        if (!name.equals("TERM") && !name.equals("KILL")) { // those two need no sun.misc.Signal
            Jvm.signal(name, signal);
        }
        return name;
    }

    /**
     * The number of the signal named {@code name} (as {@link #validName} returns it), as this system numbers it: what
     * the {@code kill} command is given, since the names it knows are not all the JVM's ({@code POLL}, {@code CLD}).
     */
    static int number(String name) {
        return Jvm.number(Jvm.signal(name, name));
    }

    /** The name {@code sun.misc.Signal} takes: without the "SIG" that may come first. */
    private static String name(String signal) {
        return signal.startsWith("SIG") ? signal.substring(3) : signal;
    }

    private static String describe(EventLoop loop) {
        return loop + "@" + Integer.toHexString(System.identityHashCode(loop));
    }

    /** A delivery of SIG{@code name}, on the JVM's thread for it: posts the callback of the loop that holds it. */
    private static void deliver(String name) {
        Held held;
        synchronized (HELD) {
            held = HELD.get(name);
        }
        if (held == null) {
            return; // removed after the JVM took the signal, before its thread got here
        }
        Handle h = new Handle(held.callback, null);
        h.context = held.context;
        held.loop.post(h); // refused by a loop that is closing: the signal is dropped
    }

    /** A {@code sun.misc.SignalHandler} that delivers SIG{@code name}. */
    private static Object handler(String name) {
        return Proxy.newProxyInstance(Signals.class.getClassLoader(), new Class<?>[] {Jvm.HANDLER},
                (proxy, method, args) -> switch (method.getName()) {
                    case "handle" -> {
                        deliver(name);
                        yield null;
                    }
                    case "equals" -> proxy == args[0];
                    case "hashCode" -> System.identityHashCode(proxy);
                    default -> "aio4j's handler of SIG" + name; // toString
                });
    }

    /** {@code sun.misc.Signal}, by reflection: loaded at the first use. */
    private static final class Jvm {
        static final Class<?> HANDLER;
        private static final Constructor<?> NEW_SIGNAL;
        private static final Method HANDLE;
        private static final Method NUMBER;
        private static final ReflectiveOperationException MISSING;

        static {
            Class<?> handler = null;
            Constructor<?> newSignal = null;
            Method handle = null;
            Method number = null;
            ReflectiveOperationException missing = null;
            try {
                Class<?> signal = Class.forName("sun.misc.Signal");
                handler = Class.forName("sun.misc.SignalHandler");
                newSignal = signal.getConstructor(String.class);
                handle = signal.getMethod("handle", signal, handler);
                number = signal.getMethod("getNumber");
            } catch (ReflectiveOperationException e) {
                missing = e;
            }
            HANDLER = handler;
            NEW_SIGNAL = newSignal;
            HANDLE = handle;
            NUMBER = number;
            MISSING = missing;
        }

        private static void checkPresent() {
            if (MISSING != null) {
                throw new UnsupportedOperationException("signal handlers need the JDK's module jdk.unsupported"
                        + " (sun.misc.Signal), which this Java runtime does not have: add it to the image"
                        + " (jlink --add-modules jdk.unsupported)", MISSING);
            }
        }

        /** {@code new sun.misc.Signal(name)}; {@code given} is what the caller wrote, for the message. */
        static Object signal(String name, String given) {
            checkPresent();
            try {
                return NEW_SIGNAL.newInstance(name);
            } catch (InvocationTargetException e) {
                if (e.getCause() instanceof IllegalArgumentException) {
                    throw new IllegalArgumentException("unknown signal \"" + given + "\": give a signal's name in"
                            + " capitals, with or without \"SIG\" (\"INT\", \"TERM\", \"SIGHUP\", \"USR1\")");
                }
                throw unexpected(e.getCause());
            } catch (ReflectiveOperationException e) {
                throw unexpected(e);
            }
        }

        /** {@code sig.getNumber()}. */
        static int number(Object sig) {
            try {
                return (Integer) NUMBER.invoke(sig);
            } catch (InvocationTargetException e) {
                throw unexpected(e.getCause());
            } catch (ReflectiveOperationException e) {
                throw unexpected(e);
            }
        }

        /** {@code sun.misc.Signal.handle(sig, handler)}: the handler it replaces. */
        static Object handle(Object sig, String name, Object handler) {
            try {
                return HANDLE.invoke(null, sig, handler);
            } catch (InvocationTargetException e) {
                if (e.getCause() instanceof IllegalArgumentException) {
                    // KILL and STOP cannot be caught; HotSpot keeps QUIT (thread dumps), SEGV, FPE, ILL and others
                    throw new IllegalArgumentException("SIG" + name + " cannot be handled: the JVM or the OS keeps it"
                            + " for itself (" + e.getCause().getMessage() + "); KILL and STOP cannot be caught by any"
                            + " process, and HotSpot uses QUIT, SEGV, FPE and ILL", e.getCause());
                }
                throw unexpected(e.getCause());
            } catch (ReflectiveOperationException e) {
                throw unexpected(e);
            }
        }

        private static RuntimeException unexpected(Throwable e) {
            if (e instanceof Error err) {
                throw err;
            }
            return e instanceof RuntimeException re ? re : new IllegalStateException("sun.misc.Signal failed", e);
        }
    }
}
