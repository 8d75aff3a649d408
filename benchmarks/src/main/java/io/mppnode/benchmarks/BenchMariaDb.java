package io.mppnode.benchmarks;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real MariaDB server for the replication benchmarks, the essentials of mpp-server's test
 * fixture {@code TestingMariaDb} (which benchmarks cannot use): when {@code mariadbd} is missing,
 * {@code .ci/install-mariadb} is run (found by walking up from the working directory); system
 * tables are installed into a fresh temporary directory; {@code mariadbd} runs as a child process
 * on a free 127.0.0.1 port with the binary log on ({@code --log-bin --binlog-format=ROW
 * --server-id=1}). The admin is {@code root} at 127.0.0.1 without a password. {@link #close}
 * stops the server and deletes the directory.
 *
 * <p>Server settings are the test fixture's: InnoDB buffer pool 256 MB,
 * {@code innodb-flush-log-at-trx-commit=2} and {@code sync-binlog=0} (the source's own commits
 * are not what is measured).
 */
final class BenchMariaDb implements AutoCloseable {
    static final String HOST = "127.0.0.1";
    /** The replication user {@link #createReplicationUser} makes. */
    static final String REPLICA_USER = "replica";
    static final String REPLICA_PASSWORD = "replica-pw";

    /** A binlog file and offset ({@code SHOW MASTER STATUS}). */
    record Position(String file, long position) implements Comparable<Position> {
        static long fileIndex(String file) {
            return file.isEmpty() ? -1 : Long.parseLong(file.substring(file.lastIndexOf('.') + 1));
        }

        @Override
        public int compareTo(Position other) {
            int byFile = Long.compare(fileIndex(file), fileIndex(other.file));
            return byFile != 0 ? byFile : Long.compare(position, other.position);
        }

        /** replicate-start's FILE:POS. */
        String startPoint() {
            return file + ":" + position;
        }
    }

    private final Path directory;
    private final int port;
    private final Process process;

    private BenchMariaDb(Path directory, int port, Process process) {
        this.directory = directory;
        this.port = port;
        this.process = process;
    }

    static BenchMariaDb start() throws IOException {
        Path mariadbd = find("mariadbd").orElseGet(() -> {
            runInstallScript();
            return find("mariadbd").orElseThrow(() -> new IllegalStateException(".ci/install-mariadb ran but mariadbd is still not found"));
        });
        Path installDb = find("mariadb-install-db").or(() -> find("mysql_install_db"))
                .orElseThrow(() -> new IllegalStateException("mariadb-install-db is not found"));
        Path directory = Files.createTempDirectory("bench-mariadb-");
        boolean started = false;
        try {
            Path dataDir = directory.resolve("data");
            run(List.of(installDb.toString(), "--no-defaults", "--datadir=" + dataDir, "--auth-root-authentication-method=normal",
                    "--skip-test-db"), directory.resolve("install.log"), 120);
            Path initFile = directory.resolve("init.sql");
            Files.writeString(initFile, """
                    SET SESSION sql_log_bin = 0;
                    CREATE USER IF NOT EXISTS 'root'@'127.0.0.1';
                    GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
                    """);
            for (int attempt = 1; ; attempt++) {
                int port = freePort();
                Process process = new ProcessBuilder(List.of(
                        mariadbd.toString(), "--no-defaults", "--datadir=" + dataDir, "--port=" + port, "--bind-address=" + HOST,
                        "--socket=" + directory.resolve("mysqld.sock"), "--pid-file=" + directory.resolve("mariadbd.pid"),
                        "--user=root", "--log-error=" + directory.resolve("error.log"), "--init-file=" + initFile,
                        "--log-bin=mariadb-bin", "--binlog-format=ROW", "--server-id=1", "--skip-name-resolve",
                        "--innodb-buffer-pool-size=256M", "--innodb-flush-log-at-trx-commit=2", "--sync-binlog=0",
                        "--max-allowed-packet=64M"))
                        .redirectErrorStream(true)
                        .redirectOutput(Redirect.appendTo(directory.resolve("server.out").toFile()))
                        .redirectInput(Redirect.from(new java.io.File("/dev/null")))
                        .start();
                if (awaitReady(process, port)) {
                    started = true;
                    // A fork that dies without its tear-down does not leave the server running.
                    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                        process.destroyForcibly();
                        try {
                            process.waitFor(10, TimeUnit.SECONDS);
                            deleteTree(directory);
                        } catch (IOException | InterruptedException | RuntimeException ignored) {
                            // best effort while the JVM exits
                        }
                    }, "bench-mariadb-reaper"));
                    return new BenchMariaDb(directory, port, process);
                }
                process.destroyForcibly().waitFor(60, TimeUnit.SECONDS);
                if (attempt == 5) {
                    throw new IllegalStateException("mariadbd did not start; error log:\n" + tail(directory.resolve("error.log")));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting mariadbd", e);
        } finally {
            if (!started) {
                deleteTree(directory);
            }
        }
    }

    int port() {
        return port;
    }

    String address() {
        return HOST + ":" + port;
    }

    Connection connect() throws SQLException {
        return DriverManager.getConnection("jdbc:mariadb://" + HOST + ":" + port + "/", "root", "");
    }

    void execute(String... statements) throws SQLException {
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            for (String sql : statements) {
                statement.execute(sql);
            }
        }
    }

    /** A user with REPLICATION SLAVE, BINLOG MONITOR, SELECT and RELOAD, kept out of the binlog. */
    void createReplicationUser() throws SQLException {
        execute("SET SESSION sql_log_bin = 0",
                "CREATE USER '" + REPLICA_USER + "'@'%' IDENTIFIED BY '" + REPLICA_PASSWORD + "'",
                "GRANT REPLICATION SLAVE, BINLOG MONITOR, SELECT, RELOAD ON *.* TO '" + REPLICA_USER + "'@'%'");
    }

    Position masterStatus() throws SQLException {
        try (Connection connection = connect()) {
            return masterStatus(connection);
        }
    }

    static Position masterStatus(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet result = statement.executeQuery("SHOW MASTER STATUS")) {
            if (!result.next()) {
                throw new IllegalStateException("SHOW MASTER STATUS returned no row: the binary log is off");
            }
            return new Position(result.getString("File"), result.getLong("Position"));
        }
    }

    @Override
    public void close() throws IOException {
        try {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(60, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        } finally {
            deleteTree(directory);
        }
    }

    private static boolean awaitReady(Process process, int port) throws InterruptedException {
        Properties properties = new Properties();
        properties.setProperty("user", "root");
        properties.setProperty("password", "");
        properties.setProperty("connectTimeout", "1000");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            try (Connection connection = DriverManager.getConnection("jdbc:mariadb://" + HOST + ":" + port + "/", properties)) {
                return true;
            } catch (SQLException e) {
                // not up yet
            }
            if (process.waitFor(100, TimeUnit.MILLISECONDS)) {
                return false;
            }
        }
        return false;
    }

    private static Optional<Path> find(String name) {
        List<Path> directories = new ArrayList<>(Stream.of("/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin").map(Path::of).toList());
        String path = System.getenv("PATH");
        if (path != null) {
            Stream.of(path.split(":")).filter(entry -> !entry.isEmpty()).map(Path::of).forEach(directories::add);
        }
        return directories.stream().map(directory -> directory.resolve(name)).filter(Files::isExecutable).findFirst();
    }

    private static void runInstallScript() {
        Path start = Path.of("").toAbsolutePath();
        for (Path directory = start; directory != null; directory = directory.getParent()) {
            Path script = directory.resolve(".ci/install-mariadb");
            if (Files.isRegularFile(script)) {
                try {
                    Path log = Files.createTempFile("install-mariadb-", ".log");
                    run(List.of(script.toString()), log, 900);
                    Files.deleteIfExists(log);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while installing MariaDB", e);
                }
                return;
            }
        }
        throw new IllegalStateException("mariadbd is not installed and no .ci/install-mariadb was found above " + start);
    }

    private static void run(List<String> command, Path log, long timeoutSeconds) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException(command.getFirst() + " did not finish within " + timeoutSeconds + " s:\n" + tail(log));
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException(command.getFirst() + " failed with exit code " + process.exitValue() + ":\n" + tail(log));
        }
    }

    private static String tail(Path file) {
        try {
            List<String> lines = Files.exists(file) ? Files.readAllLines(file, UTF_8) : List.of();
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(cannot read " + file + ")";
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(HOST, 0));
            return socket.getLocalPort();
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
