package org.aio4j;

import java.util.ArrayList;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.locks.LockSupport;

/**
 * An async iterator whose items are produced by a body of ordinary code that emits them one at a time: Python's
 * asynchronous generator, {@code async def gen(): ... yield x}.
 *
 * <pre>{@code
 * AsyncGenerator<Integer> ticks = AsyncGenerator.of(out -> {   // async def ticks():
 *     try {
 *         for (int i = 0; ; i++) {
 *             Aio.sleep(1);                                    //         await asyncio.sleep(1)
 *             out.emit(i);                                     //         yield i
 *         }
 *     } finally {
 *         System.out.println("closed");                        //     finally: print("closed")
 *     }
 * });
 * try (ticks) {
 *     for (int i : ticks) {                                    // async for i in ticks:
 *         if (i == 2) break;
 *     }
 * }                                                            // prints "closed"
 * }</pre>
 *
 * <h2>Backpressure and laziness</h2>
 * Creating a generator runs nothing. The body starts at the first {@link #hasNext()} and runs until it
 * {@linkplain Emitter#emit emits} an item or returns; {@code emit} then suspends the body until the consumer asks for
 * the following item. So the body is never more than one item ahead, and a consumer that stops asking stops it.
 *
 * <h2>Where the body runs: inline in the consuming task</h2>
 * As in CPython, the body runs <em>as part of the task that iterates the generator</em>, not as a task of its own.
 * It has a virtual thread of its own (it needs its own stack), but that thread only runs while the consuming task has
 * handed control to it in {@code hasNext()}, and it runs <em>as</em> that task: {@link Aio#currentTask()} is the
 * consumer, and when the body awaits, the consuming task is what suspends. The choice, rather than a producer task,
 * is deliberate:
 * <ul>
 *   <li><b>Same interleaving as CPython.</b> Handing an item over costs no loop iteration: a body that emits without
 *   awaiting gives other tasks no turn, exactly like {@code async for} over an async generator. A producer task
 *   would add two trips through the ready queue per item and reorder output relative to CPython.</li>
 *   <li><b>Cancellation lands where it should.</b> Cancelling the consumer while the body awaits throws the
 *   {@link java.util.concurrent.CancellationException} into the body at that await, then out of
 *   {@code hasNext()}; timeouts of the consumer bound the body's waits too. Nothing needs forwarding.</li>
 *   <li><b>Ownership without a scope.</b> No task exists that could outlive the consumer.</li>
 * </ul>
 * The cost is two virtual-thread hand-offs per item (a park and an unpark each way, no loop iteration).
 *
 * <h2>Closing</h2>
 * {@link #aclose()} (or {@code close()} at the end of try-with-resources) throws a {@link GeneratorExit} into the body
 * at the {@code emit} where it waits, as Python's {@code aclose()} does: the body's {@code finally} blocks run, inside
 * the closing task, and may suspend. Closing a generator whose body has not started just marks it closed (its
 * {@code finally} blocks never run, as in Python); closing a closed one does nothing. If the body ends by throwing
 * something else than {@code GeneratorExit}, {@code aclose()} throws that. A body that catches
 * {@code GeneratorExit} and emits again gets an {@link IllegalStateException} from {@code emit}.
 *
 * <h2>Owned by the task that iterates it</h2>
 * A started generator belongs to the task that last drove it ({@code hasNext}, {@code next}, {@code aclose}). When
 * that task's coroutine ends (returns, fails or is cancelled) with the generator still open, the task closes it
 * <em>before</em> the task is done (newest first, but a generator before the ones its body iterates, which its
 * body's end closes, as below): a consumer that forgets {@code close()}, or is cancelled while working on an item,
 * never leaves a body suspended on a parked thread, and a {@link TaskGroup} that waits for the task waits for the
 * body's {@code finally} blocks too. (Python leaves this to the garbage collector and {@code shutdown_asyncgens()};
 * aio4j does it deterministically.) As with try-with-resources, an exception from that implicit close becomes the
 * task's exception if the task had none, and is attached as suppressed otherwise.
 *
 * <p>Two exceptions stand in for CPython's references, which keep a generator alive while something still holds it.
 * A task that the generator's creator (the task that called {@link #of}) waits for as it ends, awaiting it or a
 * gather, {@code Aio.wait}, {@code Aio.asCompleted}, {@code Aio.shield} or task group it is in (directly, or through
 * a task, gather or shield it so waits for that waits for it: {@code Aio.gather(Aio.shield(task))}), gives the
 * generator back to the creator instead of closing it: a task that merely advanced it
 * ({@code Aio.gather(a::next, b::next)}, asyncio's {@code gather(anext(a), anext(b))}, or
 * {@code Aio.createTask(gen::next).await()}) leaves it going, and the creator's own end closes it in turn (a task
 * nobody waits for still closes it: a long-lived creator does not collect them). What counts is the wait under way
 * when the task ends: tasks awaited one after the other ({@code a.await(); b.await();}) keep the generator of one
 * that ends while another is awaited only if it is among those waited for then, where CPython keeps it as long as the
 * creator refers to it; gather them to wait for all at once. A wait for what the task produces rather than for the
 * task (a queue it fills, an event it sets) does not count either.
 * And a generator that the body of another open generator iterates follows that one (to its owner, or to a
 * {@link #toPublisher()} pump), and is closed when that one's body ends (below).
 * Otherwise a generator closed half-way does not pretend to be exhausted: driving it again (from a task it was
 * handed to too late) throws an {@link IllegalStateException} naming the task whose end closed it, since the items it
 * had still to produce are lost. To hand a generator made by a task that ends over to another one, let the new task
 * drive it before the old one ends. {@link #toPublisher()} subscribed from a task of the loop takes the generator over
 * itself, also under {@code map}, {@code filter}, {@code chunked}, {@code take}, {@code buffer}, {@code merge} and
 * {@code mapConcurrent} (its pump closes it however the subscription ends).
 *
 * <p>The same holds one level down: the generators a body started iterating and left open (it broke out of their
 * loop, or was closed while it waited on them) are closed when the body ends, newest first, unless another task
 * drove them since (that task owns them now), their closing errors added to the body's outcome as above. So closing
 * a generator also releases what the generators it wraps hold (CPython closes them once the body's frame lets go of
 * them, in a task of their own); one the body handed out (stored or emitted) is closed then too: hand over only
 * generators not started yet.
 *
 * <p>The implicit closes at a task's end run as if the task were done, as asyncio's run once it is: a
 * {@link Task#cancel} meanwhile returns false, and a cancellation requested before the coroutine ended is deferred
 * past them (it still ends the task cancelled), so that their {@code finally} blocks run to their end.
 *
 * <h2>Rules and errors</h2>
 * <ul>
 *   <li>The body's exception surfaces from {@code hasNext()} at the element where it happened (checked exceptions
 *   wrapped in {@link java.util.concurrent.CompletionException}, since {@link java.util.Iterator#hasNext()} throws
 *   none; catch that and look at its {@link Throwable#getCause() cause}:
 *   {@code catch (CompletionException e) { if (e.getCause() instanceof IOException io) ... }}); the generator is then
 *   exhausted. A
 *   {@link NoSuchElementException} escaping the body is such a failure, not an end of iteration (as PEP 479 made
 *   {@code StopIteration} inside a generator an error).</li>
 *   <li>Driving a generator whose body is running (from the body itself, or from a second task while the first one
 *   is suspended inside the body) throws {@link IllegalStateException}: Python's "asynchronous generator is already
 *   running".</li>
 *   <li>{@code emit} must be called by the body itself, on the body's thread (not from a task the body created).</li>
 *   <li>As in Python (PEP 789), do not {@code emit} inside a {@link Timeout} or {@link TaskGroup} block of the body:
 *   while the body waits in {@code emit}, their cancellations would land in the consumer's code.</li>
 * </ul>
 *
 * <h2>Throwing into the body</h2>
 * {@link #athrow(RuntimeException)} is Python's {@code athrow()}: the exception is thrown at the {@code emit} where the
 * body waits, and the body either handles it and emits its next item (which {@code athrow} returns), or ends.
 *
 * <p>Loop object: drive it from the tasks of one loop. {@code asend} is not provided: a Java {@code for} loop has
 * nothing to send.
 *
 * @param <T> the item type
 */
public final class AsyncGenerator<T> implements AsyncIterator<T> {

    /**
     * The body of a generator: Python's {@code async def} function body containing {@code yield}.
     *
     * @param <T> the item type
     */
    @FunctionalInterface
    public interface Body<T> {

        /**
         * Produces the items by calling {@code out.emit(item)}; may suspend anywhere, and may throw.
         *
         * @param out where the body emits its items; valid only in the body's own calls
         * @throws Exception a failure, surfaced to the consumer after the items emitted before it
         */
        void run(Emitter<T> out) throws Exception;
    }

    /**
     * Where a generator's body emits its items: what Python's {@code yield} statement is in an async generator's body
     * (Python has no object for it). Only the body's own calls may use it.
     *
     * @param <T> the item type
     */
    @FunctionalInterface
    public interface Emitter<T> {

        /**
         * Hands {@code item} to the consumer and suspends the body until the consumer asks for the next item:
         * Python's {@code yield item} in an async generator.
         *
         * @param item the item to hand over; may be {@code null}
         * @throws GeneratorExit         if the generator is closed while the body waits here: let it propagate
         * @throws RuntimeException      the exception {@link AsyncGenerator#athrow} threw in while the body waited here
         * @throws IllegalStateException if called while the generator is being closed, or not by the body itself
         */
        void emit(T item);
    }

    private static final ThreadFactory THREADS =
            Thread.ofVirtual().name("aio4j-generator").inheritInheritableThreadLocals(false).factory();

    private enum State { CREATED, SUSPENDED, RUNNING, CLOSED }

    private static final int CONSUMER = 0;
    private static final int PRODUCER = 1;

    private final Body<T> body;
    private final Emitter<T> emitter = this::emit;
    private EventLoop loop;
    private State state = State.CREATED;
    /** The body's thread, created at the first drive. */
    private Thread producer;
    /** While the body runs: the thread of the driving task that waits in drive(), and that task. */
    private Thread consumer;
    private Task<?> driver;
    /** The task whose end closes this generator (the last one that drove it), while it is started and open. */
    private Task<?> owner;
    /** While the body runs: the generator whose body the driving task ran before (this one's consumer), or null. */
    private AsyncGenerator<?> enclosing;
    /** The innermost {@link Context#run} open in the body, or null: the body's own current context while it runs. */
    private Context bodyEntered;
    /** While the body runs: the context the driving task had entered when it drove it (null: none), given back. */
    private Context consumerEntered;
    /**
     * The generator whose body started iterating this one (adopted it for its task while it ran), or null: that
     * body's end closes this one if it is still open and its task's, as CPython finalizes it once the body's frame
     * lets go of it.
     */
    private AsyncGenerator<?> iteratedBy;
    /** The open generators whose {@link #iteratedBy} is this one (null until one is): closed as its body ends. */
    private ArrayList<AsyncGenerator<?>> iterated;
    /**
     * The task that created this generator (called {@link #of}), or null (created outside a task, or closed): while
     * that task runs, the end of another task that drove the generator hands it back to it rather than close it, as
     * CPython keeps a generator alive while the creating frame refers to it.
     */
    private Task<?> creator;
    /**
     * The name of the task whose end closed this generator while it was suspended mid-way, or null: driving it again
     * then throws rather than report a silent end, since that task's items after the close were never produced.
     */
    private String closedWithOwner;
    /** Which of the two threads may run; the hand-off between them. */
    private volatile int turn = CONSUMER;
    private boolean closeRequested;
    /** The exception {@link #athrow} hands to the body, to be thrown at its emit; null otherwise. */
    private RuntimeException thrownIn;
    /**
     * The error of a body that emitted while being closed, kept for the caller of {@link #aclose()} even if the body
     * catches it (PEP 525: {@code aclose()} raises "async generator ignored GeneratorExit").
     */
    private IllegalStateException ignoredExit;
    private boolean hasItem;
    private T item;
    /** What the body threw, until it is reported to the consumer. */
    private Throwable failure;

    private AsyncGenerator(Body<T> body) {
        this.body = body;
        EventLoop current = EventLoop.ofCurrentThread();
        this.creator = current == null ? null : current.currentTask;
    }

    /**
     * A generator of the items {@code body} emits: calling an {@code async def} generator function. Nothing runs until
     * the first {@link #hasNext()}.
     *
     * @param <T>  the type of the items
     * @param body the code that emits the items
     * @return a new generator, not started
     * @throws NullPointerException if {@code body} is null
     */
    public static <T> AsyncGenerator<T> of(Body<T> body) {
        return new AsyncGenerator<>(Objects.requireNonNull(body, "generator body must not be null"));
    }

    /**
     * Runs the body until it emits the next item or ends, suspending the calling task meanwhile if the body awaits:
     * the first half of {@code __anext__}. See {@link AsyncIterator#hasNext()}.
     *
     * @throws IllegalStateException if the body is running already, or not called from a task
     */
    @Override
    public boolean hasNext() {
        if (hasItem) {
            return true;
        }
        if (state == State.CLOSED) {
            if (closedWithOwner != null) {
                throw new IllegalStateException("AsyncGenerator.hasNext(): " + this + " was closed when task '"
                        + closedWithOwner + "', the last task that drove it, ended: a started generator belongs to the"
                        + " task that last drove it. Let that task finish with it, or drive it from the task that takes"
                        + " it over before the first one ends");
            }
            return false;
        }
        drive(driverFor("AsyncGenerator.hasNext()"));
        if (hasItem) {
            return true;
        }
        throwFailure();
        return false;
    }

    /** The next item: asyncio's {@code await agen.__anext__()}. See {@link AsyncIterator#next()}. */
    @Override
    public T next() {
        if (!hasNext()) {
            throw new NoSuchElementException("async generator is exhausted: " + this);
        }
        return takeItem();
    }

    /**
     * Closes the generator: throws {@link GeneratorExit} into the body where it waits and runs it to its end, its
     * {@code finally} blocks included (they may suspend the calling task): asyncio's {@code await agen.aclose()}.
     * Does nothing if the generator is closed or exhausted; marks a generator that never started closed without
     * running anything.
     *
     * @throws RuntimeException      what the body threw while closing, other than {@code GeneratorExit}
     * @throws IllegalStateException if the body is running (e.g. {@code aclose()} called from the body itself), or,
     *                               for a started generator, if not called from a task of its loop; the generator
     *                               is then left as it was
     */
    @Override
    public void aclose() {
        switch (state) {
            case CLOSED -> {
                return;
            }
            case CREATED -> {
                state = State.CLOSED;
                creator = null;
                return;
            }
            case RUNNING -> throw new IllegalStateException(
                    "aclose(): asynchronous generator is already running: " + this);
            case SUSPENDED -> {
                Task<?> task = driverFor("AsyncGenerator.aclose()");
                hasItem = false;
                item = null;
                closeRequested = true;
                drive(task);
            }
        }
        throwFailure();
    }

    /**
     * Throws {@code error} into the body at the {@code emit} where it waits, runs the body until it emits its next item
     * or ends, and returns that item: asyncio's {@code await agen.athrow(error)}. The body may catch {@code error} and
     * go on (the item it emits next is returned here, not to the next {@link #next()}); if it lets {@code error} or
     * another exception out, the generator is exhausted and that exception is thrown here, as it is (a checked one
     * in a {@link java.util.concurrent.CompletionException}); if it returns, the generator is exhausted and this
     * throws {@link NoSuchElementException} (Python's {@code StopAsyncIteration}). The calling task may suspend
     * while the body runs, as in {@link #hasNext()}.
     *
     * <p>On a generator that has not started, {@code error} is thrown here at once and the generator is closed, its
     * body never run, as in Python.
     *
     * @param error the exception to raise in the body
     * @return the item the body emits after handling {@code error}
     * @throws RuntimeException         {@code error}, or what else the body threw
     * @throws NoSuchElementException   if the body returned instead of emitting, or the generator was already exhausted
     *                                  or closed
     * @throws IllegalStateException    if {@link #hasNext()} fetched an item that {@link #next()} has not taken (it
     *                                  would be lost), the body is running, or the caller is no task of the
     *                                  generator's loop; the generator is then left as it was
     * @throws NullPointerException     if {@code error} is null
     */
    public T athrow(RuntimeException error) {
        Objects.requireNonNull(error, "athrow(): the exception to throw into the body must not be null");
        switch (state) {
            case CREATED -> {
                state = State.CLOSED;
                creator = null;
                throw error;
            }
            case CLOSED -> {
                hasNext(); // throws if the end of the task that owned it closed it half-way
                throw new NoSuchElementException("athrow(): async generator is exhausted: " + this);
            }
            case RUNNING, SUSPENDED -> {
            }
        }
        Task<?> task = driverFor("AsyncGenerator.athrow()");
        if (hasItem) {
            throw new IllegalStateException("athrow(): an item that hasNext() fetched is not taken yet, and throwing"
                    + " into the body would lose it: take it with next() first: " + this);
        }
        thrownIn = error;
        drive(task);
        if (hasItem) {
            return takeItem();
        }
        throwFailure();
        throw new NoSuchElementException("athrow(): the generator's body returned without emitting: " + this);
    }

    /** The item the body emitted, handed over: the generator holds it no more. */
    private T takeItem() {
        T x = item;
        item = null;
        hasItem = false;
        return x;
    }

    /** Throws what the body threw, if it has not been reported yet: it is reported once. */
    private void throwFailure() {
        Throwable f = failure;
        if (f != null) {
            failure = null;
            throw Failures.unchecked(f);
        }
    }

    /** Whether the generator is closed or exhausted; an {@link #aclose()} that threw and left it open refused. */
    boolean isClosed() {
        return state == State.CLOSED;
    }

    /** Whether the generator was neither driven nor closed yet: its body has not started. */
    boolean isCreated() {
        return state == State.CREATED;
    }

    @Override
    public String toString() {
        Task<?> o = owner;
        return "AsyncGenerator[" + state.name().toLowerCase() + (o == null ? "" : ", owner=" + o.getName()) + "]";
    }

    // ---- the hand-off between the driving task's thread and the body's thread

    /**
     * The calling task, if it may drive the body now; otherwise throws, having changed nothing (a refused
     * {@code aclose()} must not leave the generator half-closed).
     */
    private Task<?> driverFor(String operation) {
        EventLoop current;
        try {
            current = Aio.runningLoop();
        } catch (IllegalStateException e) {
            throw new IllegalStateException(operation + ": no running event loop: an asynchronous generator is"
                    + " driven from a task of a running loop (inside Aio.run(...)), not from a plain thread", e);
        }
        if (loop != null && loop != current) {
            throw new IllegalStateException(operation + ": " + this + " is attached to a different loop");
        }
        Task<?> task = current.taskAwaiting(this, operation);
        if (state == State.RUNNING) {
            throw new IllegalStateException(operation + ": asynchronous generator is already running"
                    + (driver == task ? " (called from its own body)" : " in task " + driver.getName()) + ": " + this);
        }
        loop = current;
        return task;
    }

    /**
     * The thread that waits in {@code drive} for the one of {@code generators} whose body runs on {@code body}, or
     * null if none does: for {@link Task#getStack()}, on any thread (a racy read, for diagnostics; a list changed
     * meanwhile ends the walk).
     */
    static Thread drivingThread(java.util.List<AsyncGenerator<?>> generators, Thread body) {
        try {
            for (AsyncGenerator<?> g : generators) {
                if (g.producer == body) {
                    return g.consumer;
                }
            }
        } catch (RuntimeException changing) { // ConcurrentModificationException, or a racy read's worse
            // the task moved on while another thread looked
        }
        return null;
    }

    /** Lets the body run, as {@code task} (the calling task, from {@link #driverFor}), until it emits or ends. */
    private void drive(Task<?> task) {
        EventLoop current = loop;
        adopt(task);
        consumer = Thread.currentThread();
        driver = task;
        boolean start = state == State.CREATED;
        state = State.RUNNING;
        if (start) {
            producer = THREADS.newThread(this::runBody);
        }
        task.thread = producer;
        current.holderThread = producer;
        enclosing = task.runningBody();
        task.runningBody(this);
        if (bodyEntered != null) { // a Context.run of the body's is open: the body runs in it, not the consumer's
            consumerEntered = task.enterContext(bodyEntered);
        }
        turn = PRODUCER;
        if (start) {
            producer.start();
        } else {
            LockSupport.unpark(producer);
        }
        awaitTurn(CONSUMER);
    }

    /** On the body's thread: hands control back to the driving task's thread. The last thing the body's side does. */
    private void handBack() {
        Task<?> task = driver;
        Thread back = consumer;
        driver = null;
        consumer = null;
        task.runningBody(enclosing);
        enclosing = null;
        if (bodyEntered != null) {
            task.enterContext(consumerEntered);
            consumerEntered = null;
        }
        task.thread = back;
        loop.holderThread = back;
        turn = CONSUMER;
        LockSupport.unpark(back);
    }

    /**
     * Waits until {@code who} may run. The other side was just unparked from this virtual thread, which the JDK
     * queues on this carrier without waking another one: yielding once lets it run here at once (measured: about a
     * third less per item than parking straight away; spinning instead was ten times worse, since the other side
     * cannot run on this carrier while it spins).
     */
    private void awaitTurn(int who) {
        if (turn != who) {
            Thread.yield();
        }
        boolean interrupted = false;
        while (turn != who) {
            LockSupport.park(this);
            if (Thread.interrupted()) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Entry point of the body's thread. */
    private void runBody() {
        Throwable error = null;
        try {
            body.run(emitter);
        } catch (Throwable e) {
            error = e;
        }
        if (closeRequested && error instanceof GeneratorExit) {
            error = null;
        }
        if (ignoredExit != null) {
            error = Failures.combine(ignoredExit, error);
        }
        error = closeIterated(error);
        failure = error;
        state = State.CLOSED;
        setIteratedBy(null);
        creator = null;
        hasItem = false;
        item = null;
        disown();
        handBack();
    }

    private void emit(T value) {
        if (Thread.currentThread() != producer) {
            throw new IllegalStateException("emit() must be called by the generator's own body, on its thread;"
                    + " it was called from " + Thread.currentThread() + ": " + this);
        }
        if (closeRequested) {
            var e = new IllegalStateException("async generator ignored GeneratorExit: its body emitted an item while"
                    + " being closed; let GeneratorExit propagate, or return");
            if (ignoredExit == null) {
                ignoredExit = e;
            }
            throw e;
        }
        item = value;
        hasItem = true;
        state = State.SUSPENDED;
        handBack();
        awaitTurn(PRODUCER);
        if (closeRequested) {
            throw new GeneratorExit();
        }
        RuntimeException thrown = thrownIn;
        if (thrown != null) {
            thrownIn = null;
            throw thrown;
        }
    }

    /**
     * On the body's thread: a {@link Context#run} of the body enters {@code context} for the body alone, as a stack of
     * its own (the body's frames are not the consumer's): the consumer's context is given back at every hand-back and
     * the body's taken up again at every drive; leaving puts back the body's previous one, or, if none, the context of
     * whichever task drives the body then.
     */
    Context.Entered enter(Context context) {
        Context before = bodyEntered;
        bodyEntered = context;
        Context replaced = driver.enterContext(context);
        if (before == null) {
            consumerEntered = replaced; // the consumer's, given back at the hand-back
        }
        return () -> {
            bodyEntered = before;
            driver.enterContext(before != null ? before : consumerEntered);
            context.leave();
        };
    }

    // ---- ownership

    private void adopt(Task<?> task) {
        if (owner == task) {
            return;
        }
        handTo(task);
        setIteratedBy(task.runningBody()); // driven by that generator's body, if any: its end lets go of this one
    }

    /**
     * On the body's thread, as it ends: closes the generators it started iterating and left open (newest first), if
     * no other task has driven them since (that one owns them now), and returns the body's outcome with their closing
     * errors added (try-with-resources rules). One the body handed on (stored, emitted) is closed too: close it or
     * iterate it to its end in the body.
     */
    private Throwable closeIterated(Throwable error) {
        ArrayList<AsyncGenerator<?>> inner = iterated;
        if (inner == null) {
            return error;
        }
        for (AsyncGenerator<?> g : new ArrayList<>(inner).reversed()) {
            if (g.iteratedBy == this && g.state == State.SUSPENDED) {
                try {
                    g.aclose();
                } catch (Throwable e) {
                    error = Failures.combine(error, e);
                }
            }
        }
        iterated = null;
        return error;
    }

    /** Records that {@code outer}'s body (null: none) iterates this generator: its end closes this one. */
    private void setIteratedBy(AsyncGenerator<?> outer) {
        AsyncGenerator<?> before = iteratedBy;
        if (before == outer) {
            return;
        }
        if (before != null && before.iterated != null) {
            removeNewest(before.iterated, this);
        }
        iteratedBy = outer;
        if (outer != null) {
            if (outer.iterated == null) {
                outer.iterated = new ArrayList<>(2);
            }
            outer.iterated.add(this);
        }
    }

    /**
     * Frees the generators of {@code source} (itself, those under its {@code map}/{@code filter}/{@code chunked}/
     * {@code take}, and those of the operators written as generators, {@code buffer}/{@code merge}/
     * {@code mapConcurrent}, with their upstreams) from the task that drove them last, so that the end of that task
     * does not close them: for {@link AsyncIterator#toPublisher()}, whose pump task takes them over (the pump, or the
     * helper tasks of the operators, drive them next; closing the source, however the subscription ends, closes them
     * all). Only on the loop's thread.
     */
    static void release(AsyncIterator<?> source) {
        if (source instanceof AsyncGenerator<?> g) {
            if (g.state != State.RUNNING) {
                g.disown();
            }
        } else if (source instanceof Derived d) {
            release(d.upstream());
        } else if (source instanceof GeneratorStage<?> stage) {
            stage.release();
        }
    }

    /**
     * Whether the {@code aclose()} of {@code source} that just threw was refused, leaving it as it was: the generator
     * underneath (itself, the one under its {@code map}/{@code filter}/{@code chunked}/{@code take}, or that of an
     * operator written as a generator) is not closed, since a refused {@code aclose()} changes nothing and any other
     * ends with the generator closed. Any other iterator is taken as closed: what its {@code aclose()} threw is a
     * failure of the close. For the operators that hold an item across {@code aclose()}: they keep it when the close
     * was refused.
     */
    static boolean refusedClose(AsyncIterator<?> source) {
        if (source instanceof AsyncGenerator<?> g) {
            return g.state != State.CLOSED;
        } else if (source instanceof Derived d) {
            return refusedClose(d.upstream());
        } else if (source instanceof GeneratorStage<?> stage) {
            return stage.refusedClose();
        }
        return false;
    }

    /**
     * Throws the {@link IllegalStateException} with which {@code aclose()} of {@code source}, called now, would be
     * refused (the generator underneath runs, or the caller is no task of its loop), having changed nothing; returns
     * if the close would not be refused. For a stage that never started, whose close would otherwise close some of its
     * upstreams before one of them refused (see {@link GeneratorStage#aclose()}).
     */
    static void checkClosable(AsyncIterator<?> source) {
        if (source instanceof AsyncGenerator<?> g) {
            if (g.state == State.SUSPENDED || g.state == State.RUNNING) {
                g.driverFor("AsyncGenerator.aclose()");
            }
        } else if (source instanceof Derived d) {
            checkClosable(d.upstream());
        } else if (source instanceof GeneratorStage<?> stage) {
            stage.checkClosable();
        }
    }

    /**
     * {@code aclose()} of an operator that holds an item across its consumer's calls ({@code filter},
     * {@code chunked}): closes {@code upstream}, then runs {@code drop} to let go of what the operator holds, unless
     * the close was {@linkplain #refusedClose refused} (then it keeps it, as a refused close changes nothing). A close
     * that failed is a close all the same: {@code drop} runs, then its failure is thrown.
     */
    static void closeUpstream(AsyncIterator<?> upstream, Runnable drop) {
        try {
            upstream.aclose();
        } catch (RuntimeException | Error e) {
            if (!refusedClose(upstream)) {
                drop.run();
            }
            throw e;
        }
        drop.run();
    }

    private void disown() {
        Task<?> o = owner;
        if (o == null) {
            return;
        }
        owner = null;
        removeNewest(o.generators(), this);
    }

    /** Removes {@code g} from {@code gens}, looked for from the newest end (where it usually is); if it is there. */
    private static void removeNewest(ArrayList<AsyncGenerator<?>> gens, AsyncGenerator<?> g) {
        for (int i = gens.size() - 1; i >= 0; i--) {
            if (gens.get(i) == g) {
                gens.remove(i);
                return;
            }
        }
    }

    /**
     * Called by {@code task} when its coroutine has ended with {@code error} (or null): closes the generators it
     * still owns, newest first but each before those its body iterates ({@link #nextToClose}), and returns the
     * task's outcome with their closing errors added (try-with-resources rules: the first becomes the outcome if there
     * was none, the others are suppressed).
     *
     * <p>asyncio closes them in a task of its own once the task is done ({@code _asyncgen_finalizer_hook}), where no
     * cancellation of the task reaches them. So here the task counts as ended: {@link Task#cancel} refuses from now
     * on, as on a done task, and an interruption that was pending when the coroutine ended is deferred (a shield) and
     * settles the task afterwards (a task cancelled before it returned ends cancelled, as in asyncio) rather than cut
     * a generator's clean-up short.
     */
    static Throwable closeAbandoned(Task<?> task, Throwable error) {
        ArrayList<AsyncGenerator<?>> gens = task.generators();
        task.coroutineEnded();
        task.enterShield();
        try {
            error = closeEach(task, gens, error);
        } finally {
            task.leaveShield();
        }
        task.generators(null);
        return error;
    }

    private static Throwable closeEach(Task<?> task, ArrayList<AsyncGenerator<?>> gens, Throwable error) {
        while (!gens.isEmpty()) {
            AsyncGenerator<?> g = nextToClose(gens);
            if (g.state == State.SUSPENDED && g.handOnFrom(task)) {
                continue;
            }
            if (g.state == State.SUSPENDED) {
                g.closedWithOwner = task.getName();
            }
            try {
                g.aclose();
            } catch (Throwable e) {
                error = Failures.combine(error, e);
            }
            if (gens.remove(g)) { // still there: its close was refused, or it needed none
                g.owner = null;
            }
        }
        return error;
    }

    /**
     * At the end of {@code ending}, which owns this suspended generator: hands it to whoever still holds it rather
     * than close it, and says whether it did. A generator that the body of another open generator iterates follows
     * that one: it goes to that one's owner (none: a publisher's pump takes the outer one over), and that one's
     * body's end closes it ({@link #closeIterated}). Otherwise, if the task that created it waits for {@code ending}
     * (awaits it, or a gather, {@code Aio.wait}, {@code asCompleted}, shield or task group it is in, directly or
     * through tasks, gathers or shields it so waits for:
     * {@link #waitsFor}), it goes back to that task, as CPython keeps a
     * generator while the creating frame refers to it: a task that merely advanced it for its creator
     * ({@code Aio.gather} of {@code next} calls, asyncio's {@code gather(anext(a), anext(b))}) does not end it. A task
     * nobody waits for (fire and forget) closes it, as before, so that a long-lived creator does not collect them.
     */
    private boolean handOnFrom(Task<?> ending) {
        AsyncGenerator<?> outer = iteratedBy;
        if (outer != null && (outer.state == State.SUSPENDED || outer.state == State.RUNNING)
                && outer.owner != ending) {
            handTo(outer.owner);
            return true;
        }
        Task<?> c = creator;
        if (c != null && c != ending && c.loop == ending.loop && !c.isDone() && !c.hasCoroutineEnded()
                && waitsFor(c, ending)) {
            handTo(c);
            return true;
        }
        return false;
    }

    /**
     * The most futures (tasks, gathers, shields) {@link #waitsFor} looks through for a wait of the creator that goes
     * through others: a bound on the work a task's end does, whatever the graph of waits.
     */
    private static final int MAX_WAIT_CHAIN = 1000;

    /**
     * Whether {@code waiter} is suspended waiting for {@code task}: on it, or on a gather, wait, {@code asCompleted},
     * shield or group with it, directly or through tasks, gathers and shields it waits for in the same way (it awaits
     * a task that awaits {@code task}, a gather of a shield of it); at most {@link #MAX_WAIT_CHAIN} futures are looked
     * through.
     */
    private static boolean waitsFor(Task<?> waiter, Task<?> task) {
        var seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<Future<?>, Boolean>());
        var todo = new java.util.ArrayDeque<Future<?>>();
        seen.add(waiter);
        todo.add(waiter);
        int looked = 0;
        while (!todo.isEmpty() && looked++ < MAX_WAIT_CHAIN) {
            Future<?> f = todo.poll();
            for (Future<?> x : waitedOn(f)) {
                if (x == task) {
                    return true;
                }
                if (!x.isDone() && (x instanceof Task<?> || x instanceof GatheringFuture
                        || x.owner instanceof WaitsFor) && seen.add(x)) {
                    todo.add(x);
                }
            }
        }
        return false;
    }

    /**
     * What {@code f} waits for: a task's waiting target (a future, or the futures of the gather, wait,
     * {@code asCompleted}, shield or group it waits on), a gather's pending children, the future that a shield's
     * future follows ({@code Aio.shield}, met inside a gather or wait); nothing otherwise.
     */
    private static java.util.Collection<? extends Future<?>> waitedOn(Future<?> f) {
        if (f instanceof GatheringFuture g) {
            return g.pendingChildren();
        }
        if (!(f instanceof Task<?>) && f.owner instanceof WaitsFor shield) {
            return shield.futures();
        }
        if (!(f instanceof Task<?> t) || !(t.waitingOn instanceof Future<?> w)) {
            return java.util.List.of();
        }
        if (w instanceof GatheringFuture g) {
            return g.pendingChildren();
        }
        if (w.owner instanceof WaitsFor combinator) {
            return combinator.futures();
        }
        if (w.owner instanceof TaskGroup group) {
            return group.pendingTasks();
        }
        return java.util.List.of(w);
    }

    /** Makes {@code task} (null: none) the owner, in place of the one now; keeps {@link #iteratedBy}. */
    private void handTo(Task<?> task) {
        disown();
        if (task != null) {
            owner = task;
            if (task.generators() == null) {
                task.generators(new ArrayList<>(2));
            }
            task.generators().add(this);
        }
    }

    /**
     * The newest of {@code gens} that no other open one of them iterates: a generator is closed before those its
     * body iterates, which its body's end then closes ({@link #closeIterated}), as an explicit {@code aclose()} of it
     * does and as CPython finalizes the inner generator only once the outer's frame has let go of it; so the outer's
     * {@code finally} blocks may still use the inner one.
     */
    private static AsyncGenerator<?> nextToClose(ArrayList<AsyncGenerator<?>> gens) {
        for (int i = gens.size() - 1; i >= 0; i--) {
            AsyncGenerator<?> g = gens.get(i);
            AsyncGenerator<?> outer = g.iteratedBy;
            if (outer == null || outer.state != State.SUSPENDED || outer.owner != g.owner) {
                return g;
            }
        }
        return gens.getLast();
    }
}
