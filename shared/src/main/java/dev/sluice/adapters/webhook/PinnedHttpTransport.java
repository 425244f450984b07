package dev.sluice.adapters.webhook;

import dev.sluice.core.port.WebhookTransport;
import dev.sluice.core.webhook.DeliveryResult;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * One HTTP/1.1 POST over a socket opened to the address that was checked (so a DNS answer that changes between the
 * check and the connection cannot redirect it), TLS verified against the URL's host name (SNI and endpoint
 * identification), redirects never followed, short timeouts, and at most {@link #MAX_RESPONSE_BYTES} of the answer read.
 */
public final class PinnedHttpTransport implements WebhookTransport {
    public static final int MAX_RESPONSE_BYTES = 4096;
    private final int connectTimeoutMillis;
    private final int totalTimeoutMillis;
    private final SSLSocketFactory tls;

    public PinnedHttpTransport(int connectTimeoutMillis, int totalTimeoutMillis, SSLSocketFactory tls) {
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.totalTimeoutMillis = totalTimeoutMillis;
        this.tls = tls;
    }

    public static PinnedHttpTransport standard() {
        return new PinnedHttpTransport(3_000, 10_000, (SSLSocketFactory) SSLSocketFactory.getDefault());
    }

    @Override
    public List<InetAddress> resolve(String host) throws UnknownHostException {
        return Arrays.asList(InetAddress.getAllByName(host));
    }

    @Override
    public DeliveryResult post(URI url, InetAddress address, Map<String, String> headers, String body) {
        long started = System.nanoTime();
        boolean https = "https".equalsIgnoreCase(url.getScheme());
        int port = url.getPort() >= 0 ? url.getPort() : (https ? 443 : 80);
        String host = url.getHost();
        try (Socket raw = new Socket()) {
            raw.connect(new InetSocketAddress(address, port), connectTimeoutMillis);
            raw.setSoTimeout(totalTimeoutMillis);
            Socket socket = https ? secure(raw, host, port) : raw;
            byte[] payload = body.getBytes(StandardCharsets.UTF_8);
            StringBuilder request = new StringBuilder();
            String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
            if (url.getRawQuery() != null) {
                path += "?" + url.getRawQuery();
            }
            request.append("POST ").append(path).append(" HTTP/1.1\r\n");
            request.append("Host: ").append(url.getRawAuthority()).append("\r\n");
            request.append("Content-Length: ").append(payload.length).append("\r\n");
            request.append("Connection: close\r\n");
            headers.forEach((k, v) -> request.append(k).append(": ").append(v).append("\r\n"));
            request.append("\r\n");
            OutputStream out = socket.getOutputStream();
            out.write(request.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.write(payload);
            out.flush();
            String statusLine = readStatusLine(socket, started);
            return new DeliveryResult(Optional.of(statusCode(statusLine)), elapsed(started), Optional.empty());
        } catch (IOException | RuntimeException e) {
            return DeliveryResult.failed(e.getClass().getSimpleName() + ": " + e.getMessage(), elapsed(started));
        }
    }

    private Socket secure(Socket raw, String host, int port) throws IOException {
        SSLSocket ssl = (SSLSocket) tls.createSocket(raw, host, port, true);
        SSLParameters p = ssl.getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS");
        if (!host.contains(":") && !host.matches("[0-9.]+")) {
            p.setServerNames(List.of(new SNIHostName(host)));
        }
        ssl.setSSLParameters(p);
        ssl.startHandshake();
        return ssl;
    }

    /** Reads the answer up to the limit (or its end) within the total timeout, and returns its first line. */
    private String readStatusLine(Socket socket, long started) throws IOException {
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        byte[] buffer = new byte[1024];
        while (seen.size() < MAX_RESPONSE_BYTES) {
            long left = totalTimeoutMillis - elapsed(started);
            if (left <= 0) {
                throw new IOException("the receiver took longer than " + totalTimeoutMillis + " ms");
            }
            socket.setSoTimeout((int) left);
            int n = in.read(buffer, 0, Math.min(buffer.length, MAX_RESPONSE_BYTES - seen.size()));
            if (n < 0) {
                break;
            }
            seen.write(buffer, 0, n);
            if (seen.toString(StandardCharsets.ISO_8859_1).contains("\r\n\r\n")) {
                break;
            }
        }
        String text = seen.toString(StandardCharsets.ISO_8859_1);
        int eol = text.indexOf("\r\n");
        if (eol < 0) {
            throw new IOException("no HTTP status line in the first " + seen.size() + " bytes of the answer");
        }
        return text.substring(0, eol);
    }

    private static int statusCode(String statusLine) throws IOException {
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.") || !parts[1].matches("\\d{3}")) {
            throw new IOException("not an HTTP status line: " + statusLine.substring(0, Math.min(80, statusLine.length())));
        }
        return Integer.parseInt(parts[1]);
    }

    private static long elapsed(long started) {
        return (System.nanoTime() - started) / 1_000_000;
    }
}
