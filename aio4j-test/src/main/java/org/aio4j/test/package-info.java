/**
 * Testing code written with aio4j: the counterpart of kotlinx-coroutines-test, of Trio's {@code trio.testing}
 * (autojump clock) and of pytest-asyncio.
 *
 * <ul>
 * <li>{@link org.aio4j.test.AioTesting#runTest(org.aio4j.Coroutine) AioTesting.runTest(body)} runs a body on a fresh
 *     loop with a virtual clock and fails the test if it hangs (with the loop's task dump), deadlocks, leaves tasks
 *     pending or leaves an error nobody received;</li>
 * <li>{@link org.aio4j.test.AioTest @AioTest} does the same for a JUnit Jupiter test method, through
 *     {@link org.aio4j.test.AioExtension};</li>
 * <li>{@link org.aio4j.test.TestOptions} sets the timeout, the clock and the checks;
 *     {@link org.aio4j.test.AioTestOptions @AioTestOptions} sets them for the tests the extension runs, on a method
 *     (a {@code @RepeatedTest} or {@code @ParameterizedTest} too) or on a whole class.</li>
 * </ul>
 */
package org.aio4j.test;
