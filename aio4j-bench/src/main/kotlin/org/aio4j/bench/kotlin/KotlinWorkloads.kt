package org.aio4j.bench.kotlin

import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.joinAll
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.sync.Semaphore
import kotlinx.coroutines.sync.withPermit
import kotlinx.coroutines.yield
import org.aio4j.bench.Workload
import org.aio4j.bench.Workloads

/**
 * The workloads on kotlinx.coroutines, each run in `runBlocking`: one thread, one event loop, as asyncio has, so
 * the counters need no atomics. `yield()` is Kotlin's `sleep(0)`; a `Channel(1000)` closed by the producer is its
 * bounded queue; `CompletableDeferred` its future.
 */
class KotlinWorkloads : Workloads {

    /** One hand-off of [Workload.PING_PONG]: the counter and the deferred to answer on (`null` ends it). */
    private class Message(val value: Long, val reply: CompletableDeferred<Message>?)

    override fun name(): String = "kotlin"

    override fun versions(): String {
        val props = java.util.Properties()
        KotlinWorkloads::class.java.getResourceAsStream("/aio4j-bench.properties")?.use(props::load)
        return "kotlin=${KotlinVersion.CURRENT} kotlinx-coroutines=${props.getProperty("kotlinx-coroutines")}"
    }

    override fun supports(workload: Workload): Boolean = workload != Workload.CALL_SOON

    override fun run(workload: Workload, n: Int): Long = runBlocking {
        when (workload) {
            Workload.SWITCH -> switching(n)
            Workload.SPAWN_GATHER -> spawnGather(n)
            Workload.PING_PONG -> pingPong(n)
            Workload.QUEUE -> queue(n)
            Workload.SEMAPHORE -> semaphore(n)
            Workload.CALL_SOON -> throw UnsupportedOperationException("kotlin has no callSoon")
        }
    }

    private suspend fun CoroutineScope.switching(n: Int): Long {
        var last = -1 // which coroutine resumed last: a switch counts only if the other one ran meanwhile
        val players = List(2) { me ->
            async {
                var switches = 0L
                repeat(n) {
                    yield()
                    if (last != me) {
                        switches++
                    }
                    last = me
                }
                switches
            }
        }
        return players.awaitAll().sum()
    }

    private suspend fun CoroutineScope.spawnGather(n: Int): Long {
        var started = 0 // in the event loop's FIFO order all have started before the first resumes
        val tasks = List(n) { i ->
            async {
                started++
                yield()
                check(started == n) { "task $i resumed before all $n tasks had started: its yield() did not suspend it" }
                i.toLong()
            }
        }
        return tasks.awaitAll().sum()
    }

    private suspend fun CoroutineScope.pingPong(n: Int): Long {
        val first = CompletableDeferred<Message>()
        val ponger = launch {
            var inbox = first
            while (true) {
                val m = inbox.await()
                val reply = m.reply ?: return@launch
                inbox = CompletableDeferred()
                reply.complete(Message(m.value + 1, inbox))
            }
        }
        var value = 0L
        var toPonger = first
        repeat(n) {
            val mine = CompletableDeferred<Message>()
            toPonger.complete(Message(value + 1, mine))
            val answer = mine.await()
            value = answer.value
            toPonger = answer.reply!!
        }
        toPonger.complete(Message(value, null))
        ponger.join()
        return value
    }

    private suspend fun CoroutineScope.queue(n: Int): Long {
        val channel = Channel<Long>(Workload.QUEUE_MAXSIZE)
        var sum = 0L
        val workers = List(Workload.QUEUE_WORKERS) {
            launch {
                for (item in channel) {
                    sum += item
                }
            }
        }
        launch {
            for (i in 0 until n) {
                channel.send(i.toLong())
            }
            channel.close()
        }
        workers.joinAll()
        return sum
    }

    private suspend fun CoroutineScope.semaphore(n: Int): Long {
        val semaphore = Semaphore(Workload.SEMAPHORE_PERMITS)
        var active = 0
        var peak = 0
        var sum = 0L
        List(n) { i ->
            launch {
                semaphore.withPermit {
                    active++
                    peak = maxOf(peak, active)
                    yield()
                    active--
                    sum += i
                }
            }
        }.joinAll()
        check(peak <= Workload.SEMAPHORE_PERMITS) {
            "Semaphore(${Workload.SEMAPHORE_PERMITS}) let $peak coroutines in at once"
        }
        Workload.checkHoldersSuspended(peak, n)
        return sum
    }
}
