package org.aio4j.http;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import org.aio4j.CancelShield;
import org.aio4j.EventLoop;
import org.aio4j.Future;
import org.aio4j.TimerHandle;

/**
 * Runs many requests with at most {@code limit} in flight, on the loop's callbacks: the engine of
 * {@link ClientSession#fetchAll} and {@link ClientSession#fetchEach}.
 *
 * <p>No task per request: each request's loop future ({@link Hops#start}, which follows its redirects from done
 * callbacks too) gets a done-callback that records the result and starts the next request, on the loop, without any
 * task switch; the timeout is a loop timer that cancels the exchange, whatever hop it is at. Only the consumer is a
 * task, and it is woken when a result it can take is there (once per loop iteration at most) or, for {@link #all()},
 * once at the end. A task per request, as {@code mapConcurrent} would run, costs two thread hand-offs per request on
 * a 2-core machine: the difference between keeping up with the transport and not (see docs/benchmarks.md).
 *
 * <p>Two limits, by mode. {@code window == false} ({@code fetchAll}): at most {@code limit} exchanges in flight,
 * results kept until the end. {@code window == true} ({@code fetchEach}): a request holds its slot from its start
 * until the consumer takes the result after it ({@code mapConcurrent}'s rule), so at most {@code limit} results are
 * ever started and not yet taken, and a consumer that stops taking stops the fetching.
 *
 * <p>Every request gets exactly one result, unless {@link #stop()} aborts it (the consumer gave up: cancelled, or
 * closed the iterator). Loop-confined: all methods run on the loop, the suspending ones in the consumer task.
 */
final class FetchEngine {

    private final ClientSession session;
    private final EventLoop loop;
    private final List<ClientRequest> requests;
    private final int limit;
    private final boolean ordered;
    private final boolean window;
    private final int n;

    private final List<Future<ClientResponse>> exchanges;
    private final BitSet expired = new BitSet();
    private final FetchResult[] byIndex;
    private final ArrayDeque<FetchResult> byCompletion = new ArrayDeque<>();
    private final List<FetchResult> all;
    private int started;
    private int inFlight;
    private int finished;
    private int taken;
    private boolean stopped;
    private boolean filling;
    private Future<Void> wakeup;

    FetchEngine(ClientSession session, EventLoop loop, List<ClientRequest> requests, int limit, FetchOrder order,
                boolean window) {
        this.session = session;
        this.loop = loop;
        this.requests = requests;
        this.limit = limit;
        this.ordered = order == FetchOrder.INPUT;
        this.window = window;
        this.n = requests.size();
        this.exchanges = new ArrayList<>(java.util.Collections.nCopies(n, null));
        this.byIndex = new FetchResult[n];
        this.all = window ? null : new ArrayList<>(n);
    }

    /**
     * Runs every request and suspends the calling task until all have a result; returns them in the engine's order.
     * If the task is cancelled meanwhile, aborts what is in flight, waits for it, and rethrows.
     */
    List<FetchResult> all() {
        fill();
        try {
            while (finished < n) {
                sleepUntilSignalled();
            }
        } catch (RuntimeException e) { // the task's interruption: cancelled, or aborted by its TaskGroup
            stop();
            throw e;
        }
        return ordered ? List.of(byIndex) : List.copyOf(all);
    }

    /**
     * The next result in the engine's order, suspending the calling task until it is there; {@code null} when every
     * request's result has been taken.
     */
    FetchResult take() {
        for (;;) {
            FetchResult r = poll();
            if (r != null) {
                taken++;
                fill();
                return r;
            }
            if (taken == n) {
                return null;
            }
            int before = finished;
            fill();
            if (finished == before) { // else a request failed at once: its result is there, no signal will come
                sleepUntilSignalled();
            }
        }
    }

    /**
     * Aborts the exchanges in flight, starts no more, and suspends until every aborted one has ended, inside a
     * {@link CancelShield}: an interruption of the task meanwhile does not cut the wait short, it is raised at the
     * task's next suspension point.
     */
    @SuppressWarnings("try") // the shield defers cancellation while it is open; unnamed in the body
    void stop() {
        stopped = true;
        for (int i = 0; i < started; i++) {
            Future<ClientResponse> f = exchanges.get(i);
            if (f != null) {
                f.cancel();
            }
        }
        try (CancelShield shield = CancelShield.enter()) {
            while (inFlight > 0) {
                sleepUntilSignalled();
            }
        }
    }

    /** Suspends the consumer until {@link #signal()}; throws only the task's cancellation. */
    private void sleepUntilSignalled() {
        Future<Void> w = loop.createFuture();
        wakeup = w;
        try {
            w.await();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception impossible) { // completed only with setResult(null)
            throw new IllegalStateException(impossible);
        }
    }

    private FetchResult poll() {
        if (!ordered) {
            return byCompletion.poll();
        }
        if (taken < n && byIndex[taken] != null) {
            FetchResult r = byIndex[taken];
            byIndex[taken] = null; // an iterator does not keep what it handed out
            return r;
        }
        return null;
    }

    /**
     * Starts requests while the limit allows. Not re-entered: a request that fails at once is recorded from inside
     * this loop, and {@link #record} calls back here; the loop itself goes on with the next one (re-entering would
     * take a stack frame per failed request: thousands of them overflow the stack).
     */
    private void fill() {
        if (filling) {
            return;
        }
        filling = true;
        try {
            while (!stopped && started < n && inFlight < limit && (!window || started - taken < limit)) {
                launch(started++);
            }
        } finally {
            filling = false;
        }
    }

    private void launch(int i) {
        ClientRequest r = requests.get(i);
        Future<ClientResponse> f;
        try {
            session.checkOpen();
            f = Hops.start(session, loop, r);
        } catch (RuntimeException | ClientException e) {
            record(new FetchResult(i, r, null, e));
            return;
        }
        exchanges.set(i, f);
        inFlight++;
        TimerHandle timer = loop.callLater(r.timeout(), () -> {
            if (f.cancel()) {
                expired.set(i);
            }
        });
        f.addDoneCallback(done -> ended(i, r, done, timer));
    }

    private void ended(int i, ClientRequest r, Future<ClientResponse> f, TimerHandle timer) {
        timer.cancel();
        exchanges.set(i, null);
        inFlight--;
        if (!stopped || !f.isCancelled() || expired.get(i)) {
            FetchResult result;
            try {
                result = result(i, r, f);
            } catch (RuntimeException e) {
                // The session's own handling of the response failed (a transport that throws from maxBodyBytes(), a
                // bug): the request's result is that failure, as a single request throws it, rather than none at
                // all, which would leave the consumer waiting for ever while the loop reports it.
                result = new FetchResult(i, r, null, e);
            }
            record(result);
        } // else aborted by stop(): no result, as the consumer asked
        if (stopped && inFlight == 0) {
            signal();
        }
    }

    /** The result of a finished exchange: its response, or its error as a {@link ClientException}. */
    private FetchResult result(int i, ClientRequest r, Future<ClientResponse> f) {
        if (f.isCancelled()) {
            return new FetchResult(i, r, null, expired.get(i)
                    ? new ClientTimeoutException(r.method(), r.uri(), r.timeout(), null)
                    : Failures.cancelledByTransport(r, session.transport(), null));
        }
        Throwable e = f.exception();
        if (e == null) {
            ClientResponse response = f.result();
            try {
                response = session.received(r, response);
            } catch (ClientException bad) {
                return new FetchResult(i, r, null, bad);
            }
            return session.raisesForStatus() && !response.ok()
                    ? new FetchResult(i, r, null, new ClientResponseException(response))
                    : new FetchResult(i, r, response, null);
        }
        Exception error = e instanceof Exception ex ? session.failure(r, ex)
                : new ClientException(r.method(), r.uri(), "failed: " + Failures.describe(e), e);
        return new FetchResult(i, r, null, error);
    }

    /** Records a result, starts the next request, and wakes the consumer if it can take something now. */
    private void record(FetchResult result) {
        finished++;
        if (window) {
            if (ordered) {
                byIndex[result.index()] = result;
            } else {
                byCompletion.add(result);
            }
        } else {
            byIndex[result.index()] = result;
            all.add(result);
        }
        fill();
        if (window || finished == n) {
            signal();
        }
    }

    private void signal() {
        Future<Void> w = wakeup;
        if (w != null && !w.isDone()) {
            wakeup = null;
            w.setResult(null);
        }
    }
}
