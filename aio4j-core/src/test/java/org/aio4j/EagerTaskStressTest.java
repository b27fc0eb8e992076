package org.aio4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random trees of tasks started eagerly ({@link EventLoop#setTaskFactory}), on a loop that explores schedules: tasks
 * create children (eagerly, from their steps or from callbacks), sleep, await older tasks, cancel others, return.
 * Whatever the schedule, every action runs as its own task, {@code createTask} returns to its creator with the child's
 * first step done (and the child done if that step had no suspension), and every task ends.
 */
class EagerTaskStressTest {

    private static final int TASKS = 400;

    @ParameterizedTest
    @MethodSource("org.aio4j.StressSeeds#seeds")
    void randomTreesOfEagerTasksKeepTheEagerContract(long seed) throws Exception {
        Random random = new Random(seed);
        List<String> broken = new ArrayList<>();
        List<Task<Integer>> created = new ArrayList<>();
        var loop = EventLoop.builder().virtualTime().scheduleSeed(seed).build();
        try (loop) {
            loop.runUntilComplete(() -> {
                loop.setTaskFactory(TaskFactory.EAGER);
                while (created.size() < TASKS) {
                    spawn(loop, random, created, broken, 0);
                    Aio.sleep(random.nextInt(3) * 0.001);
                }
                // Tasks go on creating tasks (also from callbacks) until the last of them ends.
                for (int i = 0; i < created.size() || moreAfterAWhile(created, i); i++) {
                    try {
                        created.get(i).await();
                    } catch (CancellationException cancelledByASibling) {
                        // the task is done all the same
                    }
                }
                return null;
            });
        }
        assertThat(broken).as(StressSeeds.describe(seed)).isEmpty();
        assertThat(created).as(StressSeeds.describe(seed)).hasSizeGreaterThanOrEqualTo(TASKS).allMatch(Future::isDone);
        assertThat(created.stream().filter(t -> !t.isCancelled())).as(StressSeeds.describe(seed)).isNotEmpty();
    }

    /** Creates one task eagerly from the current task or callback and checks what createTask promises. */
    private static void spawn(EventLoop loop, Random random, List<Task<Integer>> created, List<String> broken,
            int depth) {
        Task<?> creator = loop.currentTask();
        int[] actions = new int[1 + random.nextInt(5)];
        for (int i = 0; i < actions.length; i++) {
            actions[i] = random.nextInt(depth < 3 ? 7 : 5);
        }
        boolean suspendsInFirstStep = false;
        for (int a : actions) {
            if (a == 0 || a == 1 || a == 2) {
                suspendsInFirstStep = true; // may: awaiting a task already done does not suspend
                break;
            }
        }
        boolean[] started = new boolean[1];
        Task<?>[] self = new Task<?>[1];
        Task<Integer> t = loop.createTask(() -> {
            started[0] = true;
            self[0] = Aio.currentTask();
            int done = 0;
            for (int a : actions) {
                switch (a) {
                    case 0 -> Aio.sleep(0);
                    case 1 -> Aio.sleep(random.nextInt(3) * 0.001);
                    case 2 -> awaitAnOlderTask(random, created);
                    case 3 -> {
                        if (!created.isEmpty()) {
                            created.get(random.nextInt(created.size())).cancel("by a sibling");
                        }
                    }
                    case 4 -> { } // nothing: the step goes on
                    case 5 -> spawn(loop, random, created, broken, depth + 1);
                    default -> loop.callSoon(() -> spawn(loop, random, created, broken, depth + 1));
                }
                if (Aio.currentTask() != self[0]) {
                    broken.add("an action ran as " + Aio.currentTask() + " instead of " + self[0]);
                }
                done++;
            }
            return done;
        });
        created.add(t);
        if (!started[0] || self[0] != t) {
            broken.add("createTask returned before the first step of " + t);
        }
        if (loop.currentTask() != creator) {
            broken.add("after creating " + t + " the current task is " + loop.currentTask() + ", not " + creator);
        }
        if (!suspendsInFirstStep && !t.isDone()) {
            broken.add(t + " had nothing to suspend on and is not done after createTask");
        }
    }

    /** Whether tasks are still being created: callbacks scheduled by the tasks that ended have run after a while. */
    private static boolean moreAfterAWhile(List<Task<Integer>> created, int seen) throws Exception {
        Aio.sleep(0.01);
        return seen < created.size();
    }

    private static void awaitAnOlderTask(Random random, List<Task<Integer>> created) throws Exception {
        Task<?> me = Aio.currentTask();
        int older = created.indexOf(me);
        if (older <= 0) {
            return;
        }
        Task<Integer> other = created.get(random.nextInt(older));
        try {
            other.await();
        } catch (CancellationException e) {
            if (me.isInterruption(e)) {
                throw e;
            }
        }
    }
}
