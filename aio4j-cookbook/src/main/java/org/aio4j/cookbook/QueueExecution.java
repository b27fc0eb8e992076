package org.aio4j.cookbook;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.aio4j.Aio;
import org.aio4j.EventLoop;
import org.aio4j.Future;
import org.aio4j.Queue;
import org.aio4j.Task;

/**
 * Recipe 6, "parallel, unknown length": two worker coroutines drain one {@link Queue} of URLs; each fetch is a
 * blocking HTTP GET (the seed's {@code requests.get}) of the demo server or {@code $AIO4J_BASE_URL} (see
 * {@link Site}), offloaded with {@code runInExecutor} so that it runs on its own thread while the loop goes on. The
 * calls overlap: the whole takes about as long as the longest worker, not the sum of the calls (the seed's worry that
 * they "did not seem to run in parallel" does not apply). A done-callback collects the results in completion order.
 */
public final class QueueExecution implements Recipe {

    private static final List<String> URLS = List.of("/a", "/b", "/c");

    private final UnaryOperator<Fetch> around;

    /**
     * The recipe with a blocking HTTP GET ({@link Site#blockingGet()}) of the demo server it starts, whose
     * {@code /a}, {@code /b}, {@code /c} take the seed's latencies, or of {@code $AIO4J_BASE_URL}.
     */
    public QueueExecution() {
        this(UnaryOperator.identity());
    }

    /** The recipe with its fetch wrapped by {@code around}, e.g. to watch the calls. */
    QueueExecution(UnaryOperator<Fetch> around) {
        this.around = around;
    }

    @Override
    public String name() {
        return "queue";
    }

    @Override
    public String summary() {
        return "two workers drain one queue; blocking calls overlap (Queue + run_in_executor)";
    }

    @Override
    public void run(Options options, PrintStream out) throws Exception {
        try (Site site = Site.open(options)) {
            Fetch fetch = around.apply(site.blockingGet());
            Aio.run(options.loops(), () -> {
                List<String> results = new ArrayList<>();
                queueExecution(URLS, f -> results.add(f.result()), 2, fetch);
                for (String r : results) {
                    out.println("queue execution: " + r);
                }
                return null;
            });
        }
    }

    /** The seed's {@code queue_execution(arg_urls, callback, parallel)}. */
    static void queueExecution(List<String> urls, Consumer<Future<String>> callback, int parallel, Fetch fetch)
            throws Exception {
        EventLoop loop = Aio.getRunningLoop();
        var queue = new Queue<String>();
        for (String u : urls) {
            queue.putNowait(u);
        }
        List<Task<Void>> workers = new ArrayList<>();
        for (int i = 0; i < parallel; i++) {
            workers.add(Aio.createTask(() -> {
                while (!queue.empty()) {
                    String u = queue.get();
                    Future<String> future = loop.runInExecutor(null, () -> fetch.get(u));
                    future.addDoneCallback(callback);
                    future.await();
                }
            }));
        }
        Aio.gather(workers).await();
    }
}
