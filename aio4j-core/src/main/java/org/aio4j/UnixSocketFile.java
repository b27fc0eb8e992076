package org.aio4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;

/**
 * The file of a Unix-domain server's socket, as {@link Aio#startUnixServer} binds it: asyncio's
 * {@code start_unix_server} removes a stale socket at the path before it binds, and with {@code cleanup_socket=True}
 * (its default, since 3.13) removes its own when the server closes, unless the file at the path is another by then.
 *
 * @param path the path bound
 * @param key  the file's identity when it was bound (its device and inode), to know it again
 */
record UnixSocketFile(Path path, Object key) {

    /** {@code S_IFMT} and {@code S_IFSOCK} of {@code st_mode}. */
    private static final int TYPE_MASK = 0170000;
    private static final int SOCKET = 0140000;

    /**
     * Off the loop, before binding: deletes the socket at {@code path}, if one is there (a stale socket, or one
     * that another server still listens on, as asyncio does); leaves a file of any other kind for the bind to fail
     * on. Throws if it cannot look or delete (asyncio logs that and binds, which then fails).
     */
    static void removeStale(Path path) throws IOException {
        int mode;
        try {
            mode = (Integer) Files.getAttribute(path, "unix:mode");
        } catch (NoSuchFileException e) {
            return;
        } catch (UnsupportedOperationException | IllegalArgumentException noUnixView) {
            return; // no way to tell a socket from another file here: let the bind decide
        }
        if ((mode & TYPE_MASK) == SOCKET) {
            Files.deleteIfExists(path);
        }
    }

    /** Off the loop, once bound: the socket's file at {@code path}. */
    static UnixSocketFile bound(Path path) throws IOException {
        return new UnixSocketFile(path, Files.readAttributes(path, BasicFileAttributes.class).fileKey());
    }

    /**
     * Off the loop: the identity of the file at {@code path} now, to compare with a bound file's {@link #key()};
     * null if there is none or it cannot be looked at.
     */
    static Object keyAt(Path path) {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class).fileKey();
        } catch (IOException | SecurityException e) {
            return null;
        }
    }

    /**
     * Deletes the file if it is still the one bound; does nothing if it is gone or another. Any thread.
     *
     * @throws IOException if it cannot look or delete
     */
    void delete() throws IOException {
        Object now;
        try {
            now = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
        } catch (NoSuchFileException gone) {
            return;
        }
        if (key != null && Objects.equals(now, key)) {
            Files.deleteIfExists(path);
        }
    }
}
