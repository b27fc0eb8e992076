package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random sequences of {@code cancel(msg)} and {@code uncancel()} on a task that waits, step after step, on a sleep or
 * on a future that the same sequences cancel (with a message of their own) or complete, checked against a model of
 * CPython 3.13's task: each step's outcome (returned, or the message it raised) and every {@code cancel()},
 * {@code uncancel()} and {@code cancelling()} value must be those the model predicts.
 *
 * <p>The model, CPython 3.13's {@code Task} reduced to what these programs reach. The task waits on one future, its
 * waiter (the sleep's, or the awaited future). {@code cancel(msg)}: false if the task is done; otherwise counts the
 * request, cancels the waiter with {@code msg} if the waiter is not done, and if it was done (cancelled by an earlier
 * request, or completed, the task not having run yet) sets must-cancel with {@code msg} as its message.
 * {@code uncancel()}: if the count is above zero, takes one off, and at zero drops must-cancel. A future's
 * {@code cancel(msg)} by someone else cancels it with that message if it is not done. Once the waiter is done the task
 * runs (after every operation of the same callback): if the waiter was cancelled it raises the waiter's
 * {@code CancelledError}, with the waiter's message, whether must-cancel is set or not; if the waiter completed it
 * returns, unless must-cancel is set, then it raises with must-cancel's message; either way must-cancel is cleared.
 * The task catches what it raises and goes on with its next step (the count stays, as in CPython).
 *
 * <p>Operations come in callbacks at virtual times whose fractional parts (sixty-fourths) differ from each other and
 * from 0, while sleeps last whole seconds, so no callback ties with a sleep's end: the loop's order of same-time
 * events is not what is tested. Seeded; a failure prints the seed, the program and both traces.
 */
class TaskCancelModelStressTest {

    private static final int PROGRAMS = 2_000;
    private static final int FINAL_CALLBACKS = 4; // complete what the task still awaits, so that it ends

    enum Op { CANCEL, UNCANCEL, CANCEL_FUTURE, COMPLETE_FUTURE }

    /**
     * A step of the task: sleep {@code seconds}, or await a future of the test's if {@code seconds} is 0; inside a
     * {@code timeout} of that many seconds unless it is 0.
     */
    record Step(int seconds, int timeout) {
        @Override
        public String toString() {
            String wait = seconds == 0 ? "await f" : "sleep(" + seconds + ")";
            return timeout == 0 ? wait : "timeout(" + timeout + ") { " + wait + " }";
        }
    }

    /**
     * The operations run by one callback at {@code at}. Each operation of the program, in time order, takes the next
     * message, {@code m0}, {@code m1}, ..., whether it uses it or not.
     */
    record Burst(double at, List<Op> ops) {
        @Override
        public String toString() {
            return "at " + at + ": " + ops;
        }
    }

    record Program(List<Step> steps, List<Burst> bursts) {
        static Program random(Random random) {
            List<Step> steps = new ArrayList<>();
            int n = random.nextInt(1, 4);
            for (int i = 0; i < n; i++) {
                int seconds = random.nextInt(3) == 0 ? 0 : random.nextInt(1, 4);
                int timeout = random.nextBoolean() ? 0 : random.nextInt(1, 5);
                steps.add(new Step(seconds, timeout == seconds ? timeout + 1 : timeout)); // no tie with the sleep
            }
            List<Burst> bursts = new ArrayList<>();
            List<Integer> fractions = new ArrayList<>();
            for (int f = 1; f < 64; f++) {
                fractions.add(f);
            }
            Collections.shuffle(fractions, random);
            int b = random.nextInt(1, 7);
            for (int i = 0; i < b; i++) {
                List<Op> ops = new ArrayList<>();
                int k = random.nextInt(1, 4);
                for (int j = 0; j < k; j++) {
                    int r = random.nextInt(20);
                    ops.add(r < 9 ? Op.CANCEL : r < 14 ? Op.UNCANCEL : r < 17 ? Op.CANCEL_FUTURE : Op.COMPLETE_FUTURE);
                }
                bursts.add(new Burst(random.nextInt(8) + fractions.get(i) / 64.0, ops));
            }
            for (int i = 0; i < FINAL_CALLBACKS; i++) {
                bursts.add(new Burst(30 + i + fractions.get(b + i) / 64.0, List.of(Op.COMPLETE_FUTURE)));
            }
            bursts.sort((x, y) -> Double.compare(x.at(), y.at()));
            return new Program(steps, bursts);
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("org.aio4j.StressSeeds#seeds")
    void cancelAndUncancelEndEachWaitAsCPythonsTaskDoes(long seed) throws Exception {
        var random = new Random(seed);
        int raised = 0;
        int returned = 0;
        for (int i = 0; i < PROGRAMS; i++) {
            Program p = Program.random(random);
            List<String> expected = model(p);
            List<String> actual = run(p);
            assertThat(actual).as("%s, program %d: %s %s%n  model: %s", StressSeeds.describe(seed), i, p.steps(),
                    p.bursts(), expected).isEqualTo(expected);
            raised += (int) expected.stream().filter(s -> s.contains("raised")).count();
            returned += (int) expected.stream().filter(s -> s.endsWith("returned")).count();
        }
        assertThat(raised).as(StressSeeds.describe(seed) + ": steps that raised").isGreaterThan(PROGRAMS / 2);
        assertThat(returned).as(StressSeeds.describe(seed) + ": steps that returned").isGreaterThan(PROGRAMS / 2);
    }

    /** CPython 3.13's outcome, by the model in the class comment. */
    static List<String> model(Program p) {
        List<String> trace = new ArrayList<>();
        var t = new ModelTask();
        int step = 0;
        double stepStart = 0;
        int countAtEnter = 0;
        boolean expiring = false;
        int message = 0;
        int b = 0;
        while (step < p.steps().size()) {
            Step s = p.steps().get(step);
            double sleepEnd = s.seconds() == 0 ? Double.MAX_VALUE : stepStart + s.seconds();
            double expiry = s.timeout() == 0 || expiring ? Double.MAX_VALUE : stepStart + s.timeout();
            Burst burst = b < p.bursts().size() ? p.bursts().get(b) : null;
            double at = burst == null ? Double.MAX_VALUE : burst.at();
            double now = Math.min(Math.min(sleepEnd, expiry), at);
            if (now == sleepEnd) {
                t.waiter = "done";
            } else if (now == expiry) {
                t.cancel(EXPIRY); // asyncio.timeout's expiry: task.cancel(), no message
                expiring = true;
            } else {
                b++;
                for (Op op : burst.ops()) {
                    String m = "m" + message++;
                    switch (op) {
                        case CANCEL -> {
                            t.cancel(m);
                            trace.add("cancel(" + m + ") true " + t.count);
                        }
                        case UNCANCEL -> trace.add("uncancel() " + t.uncancel());
                        case CANCEL_FUTURE -> {
                            if (s.seconds() == 0 && t.waiter.equals("pending")) {
                                t.waiter = "cancelled";
                                t.waiterMessage = m;
                            }
                        }
                        case COMPLETE_FUTURE -> {
                            if (s.seconds() == 0 && t.waiter.equals("pending")) {
                                t.waiter = "done";
                            }
                        }
                    }
                }
            }
            if (t.waiter.equals("pending")) {
                continue;
            }
            String outcome = t.wake();
            if (expiring && t.uncancel() <= countAtEnter && outcome.startsWith("raised")) {
                outcome = "timed out"; // asyncio.timeout's __aexit__: TimeoutError
            }
            trace.add("step " + step + " " + outcome);
            step++;
            stepStart = now;
            countAtEnter = t.count;
            expiring = false;
        }
        // The task is done: the remaining callbacks' requests find it done.
        for (; b < p.bursts().size(); b++) {
            for (Op op : p.bursts().get(b).ops()) {
                String m = "m" + message++;
                if (op == Op.CANCEL) {
                    trace.add("cancel(" + m + ") false " + t.count);
                } else if (op == Op.UNCANCEL) {
                    trace.add("uncancel() " + t.uncancel());
                }
            }
        }
        trace.add("end cancelling " + t.count);
        return trace;
    }

    /** How a cancellation with no message (a timeout's expiry) shows in the traces. */
    private static final String EXPIRY = "expiry";

    /** The model's task: its waiter's state, its count of requests, must-cancel. */
    private static final class ModelTask {
        String waiter = "pending"; // "done" or "cancelled" (with waiterMessage)
        String waiterMessage;
        int count;
        boolean mustCancel;
        String mustCancelMessage;

        void cancel(String m) {
            count++;
            if (waiter.equals("pending")) {
                waiter = "cancelled";
                waiterMessage = m;
            } else {
                mustCancel = true;
                mustCancelMessage = m;
            }
        }

        int uncancel() {
            if (count > 0) {
                count--;
                if (count == 0) {
                    mustCancel = false;
                }
            }
            return count;
        }

        /** The task runs: what the step raises, or that it returned; the next step waits on a new waiter. */
        String wake() {
            String outcome = waiter.equals("cancelled") ? "raised " + waiterMessage
                    : mustCancel ? "raised " + mustCancelMessage : "returned";
            mustCancel = false;
            waiter = "pending";
            return outcome;
        }
    }

    /** What aio4j does with the same program. */
    static List<String> run(Program p) throws Exception {
        List<String> trace = new ArrayList<>();
        TestLoops.runVirtual(() -> {
            EventLoop loop = Aio.getRunningLoop();
            List<Future<Void>> futures = new ArrayList<>();
            int[] current = {-1};
            for (int i = 0; i < p.steps().size(); i++) {
                futures.add(loop.createFuture());
            }
            Task<Void> task = Aio.createTask(() -> {
                for (int i = 0; i < p.steps().size(); i++) {
                    current[0] = i;
                    Step s = p.steps().get(i);
                    try {
                        if (s.timeout() == 0) {
                            await(s, futures.get(i));
                        } else {
                            try (var _ = Aio.timeout(Duration.ofSeconds(s.timeout()))) {
                                await(s, futures.get(i));
                            }
                        }
                        trace.add("step " + i + " returned");
                    } catch (TimeoutCancellationException e) {
                        trace.add("step " + i + (e.isTimeout() ? " timed out" : " raised " + message(e)));
                    } catch (CancellationException e) {
                        trace.add("step " + i + " raised " + e.getMessage());
                    }
                }
                current[0] = -1;
            });
            int[] message = {0};
            for (Burst burst : p.bursts()) {
                loop.callAt(burst.at(), () -> {
                    for (Op op : burst.ops()) {
                        String m = "m" + message[0]++;
                        Future<Void> f = current[0] >= 0 && p.steps().get(current[0]).seconds() == 0
                                ? futures.get(current[0]) : null;
                        switch (op) {
                            case CANCEL -> trace.add("cancel(" + m + ") " + task.cancel(m) + " " + task.cancelling());
                            case UNCANCEL -> trace.add("uncancel() " + task.uncancel());
                            case CANCEL_FUTURE -> {
                                if (f != null && !f.isDone()) {
                                    f.cancel(m);
                                }
                            }
                            case COMPLETE_FUTURE -> {
                                if (f != null && !f.isDone()) {
                                    f.setResult(null);
                                }
                            }
                        }
                    }
                });
            }
            task.await();
            Aio.sleep(40); // every callback has run
            trace.add("end cancelling " + task.cancelling());
            return null;
        });
        return trace;
    }

    private static void await(Step s, Future<Void> f) throws Exception {
        if (s.seconds() == 0) {
            f.await();
        } else {
            Aio.sleep(s.seconds());
        }
    }

    /** A timeout's expiry carries "timeout expired" where asyncio's carries no message. */
    private static String message(TimeoutCancellationException e) {
        return e.getMessage().equals("timeout expired") ? EXPIRY : e.getMessage();
    }
}
