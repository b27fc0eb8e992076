package org.aio4j.http;

import java.net.URI;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Objects;

/**
 * HTTP Basic credentials (RFC 7617): aiohttp's {@code BasicAuth(login, password, encoding)}. Given to a request
 * ({@link ClientRequest#withAuth}) or to a whole session ({@link ClientSession.Builder#auth}), they go as its
 * {@code Authorization} header; credentials written in a URL ({@code http://user:secret@host/}) become the same
 * header. Like that header, they go with a redirect to the same origin only (see {@link ClientSession}).
 *
 * <p>{@link #toString()} does not show the password.
 *
 * @param login    the user name; no {@code ':'} (RFC 7617 cannot tell it from the separator)
 * @param password the password, possibly empty
 * @param encoding how the two are turned into bytes before Base64: ISO-8859-1 by default, as aiohttp's (RFC 7617
 *                 lets a server ask for UTF-8; pass {@link StandardCharsets#UTF_8} for such a server)
 */
public record BasicAuth(String login, String password, Charset encoding) {

    /**
     * Checks the credentials.
     *
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if {@code login} has a {@code ':'}, or {@code encoding} cannot encode the
     *                                  login or the password (a character outside ISO-8859-1, say)
     */
    public BasicAuth {
        Objects.requireNonNull(login, "login must not be null");
        Objects.requireNonNull(password, "password must not be null (use \"\" for none)");
        Objects.requireNonNull(encoding, "encoding must not be null");
        if (login.indexOf(':') >= 0) {
            throw new IllegalArgumentException("a ':' is not allowed in a Basic auth login (RFC 7617), got '"
                    + login + "'");
        }
        var encoder = encoding.newEncoder();
        if (!encoder.canEncode(login) || !encoder.canEncode(password)) {
            throw new IllegalArgumentException("Basic auth " + (encoder.canEncode(login) ? "password" : "login '"
                    + login + "'") + " has characters that " + encoding + " cannot encode: pass an encoding that can,"
                    + " such as UTF-8, if the server expects it");
        }
    }

    /**
     * Credentials encoded in ISO-8859-1, as aiohttp's default.
     *
     * @param login    the user name; no {@code ':'}
     * @param password the password, possibly empty
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if {@code login} has a {@code ':'}, or a character is outside ISO-8859-1
     */
    public BasicAuth(String login, String password) {
        this(login, password, StandardCharsets.ISO_8859_1);
    }

    /**
     * The value of the {@code Authorization} header: aiohttp's {@code BasicAuth.encode()}.
     *
     * @return {@code "Basic "} and the Base64 of {@code login:password}
     */
    public String encode() {
        return "Basic " + Base64.getEncoder().encodeToString((login + ":" + password).getBytes(encoding));
    }

    /**
     * The credentials of {@code uri}'s user information, percent-decoded, or null if it has none: aiohttp's
     * {@code BasicAuth.from_url}. A user information without {@code ':'} is a login with an empty password.
     *
     * @param uri the URL
     * @return its credentials, or null
     * @throws IllegalArgumentException if they cannot be sent (see the canonical constructor)
     */
    static BasicAuth fromUri(URI uri) {
        String info = uri.getUserInfo();
        if (info == null) {
            return null;
        }
        int colon = info.indexOf(':');
        return colon < 0 ? new BasicAuth(info, "") : new BasicAuth(info.substring(0, colon), info.substring(colon + 1));
    }

    /**
     * {@code uri} without its user information, the rest as it was (still percent-encoded).
     *
     * @param uri an absolute URL with user information
     * @return the same URL without it
     */
    static URI withoutUserInfo(URI uri) {
        String authority = uri.getRawAuthority();
        var u = new StringBuilder(uri.getScheme()).append("://").append(authority.substring(authority.lastIndexOf('@')
                + 1));
        if (uri.getRawPath() != null) {
            u.append(uri.getRawPath());
        }
        if (uri.getRawQuery() != null) {
            u.append('?').append(uri.getRawQuery());
        }
        if (uri.getRawFragment() != null) {
            u.append('#').append(uri.getRawFragment());
        }
        return URI.create(u.toString());
    }

    /** The login and the encoding, not the password. */
    @Override
    public String toString() {
        return "BasicAuth[login=" + login + ", password=***, encoding=" + encoding + "]";
    }
}
