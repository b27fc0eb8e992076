package org.aio4j;

import java.nio.charset.Charset;
import java.nio.file.Path;
import java.util.Objects;

/** The paths of Unix-domain sockets: how long the JDK lets them be. */
final class UnixPaths {

    /**
     * The most bytes a socket's path may have: the JDK refuses a path that leaves fewer than two bytes of the
     * system's {@code sun_path} (108 bytes on Linux and Windows, 104 on macOS and the BSDs) free. CPython takes one
     * byte more.
     */
    static final int LIMIT = sunPathBytes(System.getProperty("os.name", "")) - 2;

    private UnixPaths() {
    }

    private static int sunPathBytes(String os) {
        return os.startsWith("Mac") || os.endsWith("BSD") ? 104 : 108;
    }

    /** How many bytes {@code path} has as the JDK hands it to the system (in {@code sun.jnu.encoding}). */
    static int bytes(Path path) {
        String encoding = System.getProperty("sun.jnu.encoding");
        Charset charset = encoding != null && Charset.isSupported(encoding) ? Charset.forName(encoding)
                : Charset.defaultCharset();
        return path.toString().getBytes(charset).length;
    }

    /** Returns {@code path} if it is a socket's path {@code method} can use; throws naming the problem otherwise. */
    static Path checked(String method, Path path) {
        Objects.requireNonNull(path, "path must not be null");
        int bytes = bytes(path);
        if (bytes == 0) {
            throw new IllegalArgumentException(method + "(): path must not be empty");
        }
        if (bytes > LIMIT) {
            throw new IllegalArgumentException(method + "(): path " + path + " is " + bytes + " bytes long, over the "
                    + LIMIT + " bytes a Unix-domain socket's path may have here");
        }
        return path;
    }
}
