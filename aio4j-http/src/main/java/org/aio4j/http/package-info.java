/**
 * HTTP for aio4j: the "aiohttp" of the seed's scraping recipes.
 *
 * <ul>
 *   <li>{@link org.aio4j.http.ClientSession}: an awaitable client (aiohttp's {@code ClientSession}); its calls
 *       suspend the calling task and never block the loop, with per-request timeouts and a session-wide default.</li>
 *   <li>{@link org.aio4j.http.ClientSession#stream}: a response returned at its head, its body read as the caller
 *       asks, in constant memory ({@link org.aio4j.http.StreamingResponse}: aiohttp's {@code async with
 *       session.get(url) as resp} and {@code resp.content.iter_chunked(n)}).</li>
 *   <li>{@link org.aio4j.http.ClientSession#fetchAll}: many URLs with a concurrency limit, one
 *       {@link org.aio4j.http.FetchResult} per URL (response or error, never dropped), in input or completion
 *       order.</li>
 *   <li>{@link org.aio4j.http.HttpTransport}: the transport SPI; the JDK's {@code HttpClient} by default, Vert.x in
 *       the optional module {@code aio4j-http-vertx}.</li>
 *   <li>{@link org.aio4j.http.DemoServer}: a local server with the seed's latencies ({@code /a}, {@code /b},
 *       {@code /c}) and error paths, so that everything runs with no network.</li>
 * </ul>
 */
package org.aio4j.http;
