package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random nests of {@link Timeout}, {@link TaskGroup} (children that sleep, then fail or return), {@link CancelShield}
 * and sleeps, run by a task that is cancelled and uncancelled from outside at random loop times, on a coarse grid of
 * the virtual clock so that many events tie. The outcome of such a nest is not simple to predict, so what is checked
 * are the invariants that hold whatever the nest: the task ends (a hang would be a DeadlockException); every child
 * error surfaces exactly once, in a TaskGroupException that leaves the task or that the nest catches on purpose
 * (a group or timeout node may catch its own exception, the usual pattern); a cancellation requested and not
 * withdrawn ends the task cancelled (or failed with a group's errors, which have priority); a task never cancelled
 * from outside never ends cancelled; {@code cancelling()} ends equal to the outside requests not withdrawn; a
 * timeout's exception never leaves its block unconverted unless it names a scope still open around it, and a
 * block whose deadline passed ends with its expiry unless something with priority happened; and nothing
 * (no expiry, no group error) is raised at a suspension after the nest, outside every scope.
 * Seeded; a failure prints the seed, the nest and the outside events.
 */
class CancelScopesStressTest {

    private static final int NESTS = 300;
    private static final double[] DELAYS = {0, 0.5, 1, 1.5, 2, 3};

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("org.aio4j.StressSeeds#seeds")
    void theInvariantsOfCancelScopesHoldWhateverTheNest(long seed) throws Exception {
        var random = new Random(seed);
        for (int i = 0; i < NESTS; i++) {
            long nestSeed = random.nextLong();
            List<String> problems = runNest(nestSeed);
            assertThat(problems).as("%s, nest %d (nest seed %d):%n%s", StressSeeds.describe(seed), i, nestSeed,
                    describe(nestSeed)).isEmpty();
        }
    }

    /**
     * The smallest nest found breaking an invariant in 400,000 generated ones (10 seeds of 40,000; all 9 nests found
     * were this one with more around it): its timeout's block ended with the outside cancellation, its expiry only
     * attached to it. See TimeoutTest's anOutsideCancellationWithdrawnWhenAPastDeadlineIsSetLeavesTheBlockAsATimeout.
     */
    @Test
    void theSmallestNestFoundHoldsTheInvariants() throws Exception {
        Node nest = new TimeoutNode(0, false,
                new GroupNode(List.of(new Child("c0", 0, false)), false, new Sleep(0.5)));
        assertThat(runNest(nest, List.of(new Event(0, true), new Event(0, false)))).isEmpty();
    }

    /** Runs the nest that {@code nestSeed} generates and returns the invariants it broke. */
    static List<String> runNest(long nestSeed) throws Exception {
        var random = new Random(nestSeed);
        Node root = Node.random(random, 3, new int[] {0});
        return runNest(root, Event.random(random));
    }

    /** Runs {@code root} with the outside {@code events} and returns the invariants it broke. */
    static List<String> runNest(Node root, List<Event> events) throws Exception {
        var run = new Run();
        List<ExceptionContext> reports = new ArrayList<>();
        try {
            runOnALoop(() -> run.work(root), events, run, reports);
        } catch (DeadlockException e) {
            run.problems.add("the task never ended: " + e.getMessage());
        }
        for (ExceptionContext r : reports) {
            run.problems.add("reported to the exception handler: " + r.describe());
        }
        return run.problems;
    }

    private static void runOnALoop(Coroutine<Void> work, List<Event> events, Run run, List<ExceptionContext> reports)
            throws Exception {
        TestLoops.runVirtual(reports, () -> {
            Task<Void> worker = Aio.createTask(work);
            EventLoop loop = Aio.getRunningLoop();
            for (Event e : events) {
                loop.callAt(e.at(), () -> run.outside(worker, e.cancel()));
            }
            try {
                worker.await();
            } catch (Throwable ignored) {
                // checked below, from what the worker recorded
            }
            run.check(worker);
            return null;
        });
    }

    static String describe(long nestSeed) {
        var random = new Random(nestSeed);
        Node root = Node.random(random, 3, new int[] {0});
        return "  nest: " + root + "\n  outside: " + Event.random(random);
    }

    /** A cancel() (or an uncancel() of one of ours) from outside the task at a loop time. */
    record Event(double at, boolean cancel) {
        static List<Event> random(Random random) {
            List<Event> events = new ArrayList<>();
            int n = random.nextInt(4);
            for (int i = 0; i < n; i++) {
                events.add(new Event(DELAYS[random.nextInt(DELAYS.length)] + (random.nextBoolean() ? 0 : 0.5),
                        random.nextInt(3) != 0));
            }
            return events;
        }

        @Override
        public String toString() {
            return (cancel ? "cancel@" : "uncancel@") + at;
        }
    }

    /** A child error, unique per child, so that each can be counted where it surfaces. */
    static final class ChildError extends RuntimeException {
        ChildError(String name) {
            super(name, null, false, false);
        }
    }

    /** A piece of the nest. */
    sealed interface Node {
        void run(Run run) throws Exception;

        static Node random(Random random, int depth, int[] ids) {
            int kind = depth == 0 ? 0 : random.nextInt(6);
            return switch (kind) {
                case 0 -> new Sleep(DELAYS[random.nextInt(DELAYS.length)]);
                case 1 -> new Seq(List.of(random(random, depth - 1, ids), random(random, depth - 1, ids)));
                case 2 -> new TimeoutNode(DELAYS[random.nextInt(DELAYS.length)], random.nextBoolean(),
                        random(random, depth - 1, ids));
                case 3, 4 -> {
                    List<Child> children = new ArrayList<>();
                    int n = random.nextInt(3);
                    for (int i = 0; i < n; i++) {
                        children.add(new Child("c" + ids[0]++, DELAYS[random.nextInt(DELAYS.length)],
                                random.nextInt(3) == 0));
                    }
                    yield new GroupNode(children, random.nextBoolean(), random(random, depth - 1, ids));
                }
                default -> new ShieldNode(random(random, depth - 1, ids));
            };
        }
    }

    record Sleep(double seconds) implements Node {
        @Override
        public void run(Run run) {
            Aio.sleep(seconds);
        }

        @Override
        public String toString() {
            return "sleep(" + seconds + ")";
        }
    }

    record Seq(List<Node> nodes) implements Node {
        @Override
        public void run(Run run) throws Exception {
            for (Node n : nodes) {
                n.run(run);
            }
        }

        @Override
        public String toString() {
            return nodes.toString();
        }
    }

    record ShieldNode(Node body) implements Node {
        @Override
        public void run(Run run) throws Exception {
            try (CancelShield shield = CancelShield.enter()) {
                run.shieldsEntered++;
                body.run(run);
            }
        }

        @Override
        public String toString() {
            return "shield{" + body + "}";
        }
    }

    record Child(String name, double delay, boolean fails) {
        Void run(Run run) {
            Aio.sleep(delay);
            if (fails) {
                ChildError e = new ChildError(name);
                run.thrown.add(e);
                throw e;
            }
            return null;
        }

        @Override
        public String toString() {
            return name + (fails ? ":fail@" : ":ok@") + delay;
        }
    }

    record TimeoutNode(double delay, boolean catchesOwn, Node body) implements Node {
        @Override
        public void run(Run run) throws Exception {
            Timeout t = Aio.timeout(java.time.Duration.ofMillis((long) (delay * 1000)));
            int shieldsBefore = run.shieldsEntered;
            int caughtBefore = run.caught.size();
            Throwable out = null;
            run.openTimeouts.push(t);
            try (t) {
                body.run(run);
            } catch (Throwable e) {
                out = e;
            } finally {
                run.openTimeouts.pop();
            }
            run.checkTimeoutExit(this, t, out, run.shieldsEntered > shieldsBefore, run.caught.size() > caughtBefore);
            if (catchesOwn && out instanceof TimeoutCancellationException tce && tce.isTimeout()
                    && tce.timeout() == t) {
                run.caught.add(out);
                return;
            }
            Run.rethrow(out);
        }

        @Override
        public String toString() {
            return "timeout(" + delay + (catchesOwn ? ", catches" : "") + "){" + body + "}";
        }
    }

    record GroupNode(List<Child> children, boolean catchesOwn, Node body) implements Node {
        @Override
        public void run(Run run) throws Exception {
            Throwable out = null;
            try (TaskGroup g = new TaskGroup()) {
                for (Child c : children) {
                    g.createTask((Coroutine<Void>) () -> c.run(run), c.name());
                }
                body.run(run);
                g.join();
            } catch (Throwable e) {
                out = e;
            }
            if (catchesOwn && out instanceof TaskGroupException tge && !tge.exceptions().isEmpty()
                    && tge.exceptions().stream().allMatch(e -> children.stream()
                            .anyMatch(c -> c.name().equals(e.getMessage())))) {
                run.caught.add(out);
                return;
            }
            Run.rethrow(out);
        }

        @Override
        public String toString() {
            return "group" + children + (catchesOwn ? "(catches)" : "") + "{" + body + "}";
        }
    }

    /** What one nest's run recorded, and its checks. */
    static final class Run {
        final List<String> problems = new ArrayList<>();
        final List<ChildError> thrown = new ArrayList<>();
        final List<Throwable> caught = new ArrayList<>();
        final Deque<Timeout> openTimeouts = new ArrayDeque<>();
        int shieldsEntered;
        /** Outside cancel() calls that counted, minus the uncancel() calls that withdrew one of them. */
        int netCancels;
        boolean everCancelled;
        boolean inTail;
        Throwable nestOutcome;
        Throwable tailOutcome;
        Throwable workerThrew;

        Void work(Node root) throws Exception {
            try {
                root.run(this);
            } catch (Throwable e) {
                nestOutcome = e;
            }
            inTail = true;
            try {
                Aio.sleep(0); // a suspension after every scope: only an outside cancellation may be raised here
            } catch (Throwable e) {
                tailOutcome = e;
                if (nestOutcome != null && nestOutcome != e) {
                    e.addSuppressed(nestOutcome);
                }
                workerThrew = e;
                rethrow(e);
            }
            workerThrew = nestOutcome;
            rethrow(nestOutcome);
            return null;
        }

        void outside(Task<?> worker, boolean cancel) {
            if (worker.isDone()) {
                return;
            }
            if (cancel) {
                if (worker.cancel()) {
                    netCancels++;
                    everCancelled = true;
                }
            } else if (netCancels > 0) {
                worker.uncancel();
                netCancels--;
            }
        }

        void checkTimeoutExit(TimeoutNode node, Timeout t, Throwable out, boolean shieldInside,
                boolean caughtInside) {
            if (out instanceof TimeoutCancellationException tce) {
                if (!tce.isTimeout() && tce.timeout() != t && !openTimeouts.contains(tce.timeout()) && netCancels == 0
                        && openTimeouts.stream().noneMatch(Timeout::expired)) { // in flight for an outer expiry
                    problems.add("an unconverted expiry of a closed scope left " + node + ": " + tce.timeout());
                }
                if (tce.isTimeout() && tce.timeout() == t && !t.expired()) {
                    problems.add(node + " converted an expiry although it did not expire");
                }
            }
            if (!t.expired()) {
                return;
            }
            // Not accepted: a cancellation raised into the block before its expiry, carrying the expiry (raised into a
            // group's close() meanwhile) converted, which is all try-with-resources allows (see Timeout's class
            // comment). The nests cannot come to that: a child ends in the iteration it is cancelled in, and an
            // expiry due with an outside cancellation runs ahead of the wake-up it causes.
            boolean own = out instanceof TimeoutCancellationException tce && tce.isTimeout() && tce.timeout() == t;
            boolean priority = netCancels > 0 // an outside cancellation stays a cancellation
                    || contains(out, TaskGroupException.class) // a group's errors win
                    || (out instanceof TimeoutCancellationException tce && tce.timeout() != t) // another scope's
                    || openTimeouts.stream().anyMatch(Timeout::expired) // a scope around it expired too
                    || (out == null && shieldInside) // expiry deferred by a shield, block ended without suspending
                    || (out == null && caughtInside); // a group's errors went first, and the block caught them
            if (!own && !priority) {
                problems.add(node + " expired but its block ended with " + out);
            }
        }

        void check(Task<?> worker) {
            if (!worker.isDone()) {
                problems.add("the worker is not done");
                return;
            }
            if (worker.cancelling() != netCancels) {
                problems.add("cancelling() is " + worker.cancelling() + ", outside requests not withdrawn: "
                        + netCancels);
            }
            checkChildErrors();
            if (tailOutcome != null && (tailOutcome instanceof TaskGroupException
                    || tailOutcome instanceof TimeoutCancellationException || !everCancelled)) {
                problems.add("raised after every scope: " + tailOutcome);
            }
            if (netCancels > 0 && !worker.isCancelled()
                    && !(worker.exception() instanceof TaskGroupException) && !shieldedTimeout(worker.exception())) {
                problems.add("cancelled and not uncancelled, but the task ended " + ending(worker));
            }
            if (!everCancelled && (worker.isCancelled() || isPlainCancellation(nestOutcome))) {
                problems.add("never cancelled from outside, but the task ended " + ending(worker) + ", nest: "
                        + nestOutcome);
            }
        }

        private void checkChildErrors() {
            Map<Throwable, Integer> seen = new IdentityHashMap<>();
            Set<Throwable> groups = Collections.newSetFromMap(new IdentityHashMap<>());
            List<Throwable> roots = new ArrayList<>(caught);
            if (workerThrew != null) {
                roots.add(workerThrew);
            }
            for (Throwable r : roots) {
                collectGroups(r, groups, Collections.newSetFromMap(new IdentityHashMap<>()));
            }
            for (Throwable g : groups) {
                for (Throwable e : ((TaskGroupException) g).exceptions()) {
                    seen.merge(e, 1, Integer::sum);
                }
            }
            for (ChildError e : thrown) {
                Integer n = seen.remove(e);
                if (n == null || n != 1) {
                    problems.add("child error " + e.getMessage() + " surfaced " + (n == null ? 0 : n) + " times");
                }
            }
            if (!seen.isEmpty()) {
                problems.add("errors in groups that no child threw: " + seen.keySet());
            }
        }

        /** The TaskGroupExceptions in {@code t}'s tree, copies left out (a copy's cause is its original). */
        private static void collectGroups(Throwable t, Set<Throwable> groups, Set<Throwable> visited) {
            if (t == null || !visited.add(t)) {
                return;
            }
            if (t instanceof TaskGroupException g && !(g.getCause() instanceof TaskGroupException)) {
                groups.add(g);
            }
            collectGroups(t.getCause(), groups, visited);
            for (Throwable s : t.getSuppressed()) {
                collectGroups(s, groups, visited);
            }
        }

        private static boolean contains(Throwable t, Class<?> type) {
            Set<Throwable> groups = Collections.newSetFromMap(new IdentityHashMap<>());
            if (t == null) {
                return false;
            }
            if (type.isInstance(t)) {
                return true;
            }
            collectGroups(t, groups, Collections.newSetFromMap(new IdentityHashMap<>()));
            return type == TaskGroupException.class && !groups.isEmpty();
        }

        /**
         * A timeout error from a Timeout set inside a shielded section may end a task that was cancelled: e.g.
         * group{shield{timeout(0){sleep(2)}}} with a cancel at 0. The shield defers the cancellation, the Timeout
         * set inside it expires by itself and converts (the cancellation stays deferred, see CancelShield), and the
         * timeout error leaves the shield and the group's block; the group's close() raises the deferred
         * cancellation while it waits for its tasks, and try-with-resources attaches it to the timeout error. The
         * error wins, as in asyncio: a TaskGroup whose body raises TimeoutError while its task has a cancellation
         * pending raises ExceptionGroup([TimeoutError]) and the task ends failed, with cancelling() still 1
         * (checked with CPython 3.11), and Trio's nursery lets the TooSlowError out. So this is not a lost
         * cancellation: the error has priority, and the cancellation is attached to it.
         */
        private static boolean shieldedTimeout(Throwable t) {
            return t instanceof TimeoutCancellationException tce && tce.isTimeout()
                    && tce.timeout().shieldsAtEntry() > 0;
        }

        private static boolean isPlainCancellation(Throwable t) {
            return t instanceof CancellationException && Task.isCancellation(t)
                    && !(t instanceof TimeoutCancellationException);
        }

        private static String ending(Task<?> worker) {
            return worker.isCancelled() ? "cancelled" : worker.exception() == null ? "normally"
                    : "failed with " + worker.exception();
        }

        static void rethrow(Throwable t) throws Exception {
            if (t instanceof Exception e) {
                throw e;
            }
            if (t instanceof Error e) {
                throw e;
            }
        }
    }
}
