package org.aio4j.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * When the JDK transport's body reader says a response is whole: from then on a cancellation leaves the exchange
 * alone, as the JDK client may have given its connection back to the pool (see {@code JdkTransport.Exchange}). Told
 * too late, a cancellation closes a connection another request uses; told too early, one that stops a response
 * cut short leaves the connection open to a half-read body. The reader is driven here as the JDK client drives it.
 */
class LimitedBodyTest {

    private static final int MAX_BYTES = 10;

    private final AtomicInteger told = new AtomicInteger();

    private HttpResponse.BodySubscriber<byte[]> reader(String method, int status, Map<String, List<String>> headers) {
        var handler = LimitedBody.handler(ClientRequest.of(method, "http://example.test/x"), MAX_BYTES,
                told::incrementAndGet, head -> { }, () -> { });
        HttpResponse.BodySubscriber<byte[]> body = handler.apply(new HttpResponse.ResponseInfo() {
            @Override
            public int statusCode() {
                return status;
            }

            @Override
            public HttpHeaders headers() {
                return HttpHeaders.of(headers, (name, value) -> true);
            }

            @Override
            public HttpClient.Version version() {
                return HttpClient.Version.HTTP_1_1;
            }
        });
        body.onSubscribe(new Flow.Subscription() {
            @Override
            public void request(long n) {
            }

            @Override
            public void cancel() {
            }
        });
        return body;
    }

    private static List<ByteBuffer> bytes(String s) {
        return List.of(ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void aBodyOfDeclaredLengthIsWholeAtItsLastByteBeforeItsEndIsSignalled() {
        var body = reader("GET", 200, Map.of("Content-Length", List.of("5")));
        body.onNext(bytes("abc"));
        assertThat(told).hasValue(0);
        body.onNext(bytes("de"));
        assertThat(told).hasValue(1);
        body.onComplete();
        assertThat(told).hasValue(1);
        assertThat(body.getBody().toCompletableFuture().join()).asString(StandardCharsets.US_ASCII)
                .isEqualTo("abcde");
    }

    @Test
    void aBodyOfUnknownLengthIsWholeAtItsEnd() {
        var body = reader("GET", 200, Map.of("Transfer-Encoding", List.of("chunked")));
        body.onNext(bytes("abcde"));
        assertThat(told).hasValue(0);
        body.onComplete();
        assertThat(told).hasValue(1);
    }

    @Test
    void aResponseWithoutABodyIsWholeAtItsHeaders() {
        reader("HEAD", 200, Map.of("Content-Length", List.of("5")));
        assertThat(told).hasValue(1);
        reader("GET", 204, Map.of());
        assertThat(told).hasValue(2);
        reader("GET", 200, Map.of("Content-Length", List.of("0")));
        assertThat(told).hasValue(3);
    }

    @Test
    void aResponseRefusedOrCutShortIsNeverWhole() {
        var cutShort = reader("GET", 200, Map.of("Content-Length", List.of("5")));
        cutShort.onNext(bytes("abc"));
        cutShort.onError(new IOException("connection closed"));
        var declaredTooLong = reader("GET", 200, Map.of("Content-Length", List.of("11")));
        declaredTooLong.onComplete();
        var tooLong = reader("GET", 200, Map.of("Transfer-Encoding", List.of("chunked")));
        tooLong.onNext(bytes("0123456789+"));
        tooLong.onComplete();
        var badlyFramed = reader("GET", 200, Map.of("Content-Length", List.of("0"), "Transfer-Encoding",
                List.of("chunked")));
        badlyFramed.onComplete();
        assertThat(told).hasValue(0);
        assertThat(List.of(cutShort, declaredTooLong, tooLong, badlyFramed))
                .allSatisfy(b -> assertThat(b.getBody().toCompletableFuture()).isCompletedExceptionally());
    }
}
