package io.mppnode.server.replication;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

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
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A real MariaDB server (mariadbd) on a loopback port, with a fresh data directory and the binary
 * log on in ROW format, for tests of binlog replication. Each {@link #start} installs system
 * tables into a new temporary directory and launches the server as a child process; {@link
 * #close} stops it and deletes the directory. {@link #stop}, {@link #kill} and {@link #restart}
 * drive the same server through clean shutdowns and crashes on the same data and port.
 *
 * <p>When mariadbd is not installed, the first start in a JVM runs {@code .ci/install-mariadb}
 * (found by walking up from the working directory).
 *
 * <p>The admin user is {@code root} at {@code 127.0.0.1} with no password and every privilege.
 * Lifecycle methods are synchronized; the SQL helpers open their own connection per call and may
 * be used from any thread while the server runs.
 */
public final class TestingMariaDb implements AutoCloseable {
    /** A position in the binary log: a file name such as {@code mariadb-bin.000001} and a byte offset. */
    public record BinlogPosition(String file, long position) {
        public BinlogPosition {
            requireNonNull(file, "file is null");
        }
    }

    private static final String HOST = "127.0.0.1";
    private static final String ADMIN_USER = "root";
    private static final long READY_TIMEOUT_SECONDS = 60;
    private static final long STOP_TIMEOUT_SECONDS = 60;
    private static final int START_ATTEMPTS = 5;
    private static final int LOG_TAIL_LINES = 40;
    private static final String INSTALL_SCRIPT = ".ci/install-mariadb";
    private static final List<Path> SEARCH_DIRECTORIES =
            Stream.of("/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin").map(Path::of).toList();
    // Options the fixture owns: overriding them would make host(), port() or dataDir() lie.
    private static final Set<String> FIXED_OPTIONS =
            Set.of("datadir", "port", "bind-address", "socket", "pid-file", "user", "log-error", "init-file");
    private static final Pattern PRIVILEGE = Pattern.compile("[A-Za-z]+( [A-Za-z]+)*");
    private static final Pattern BINLOG_FILE = Pattern.compile("[A-Za-z0-9._-]+");
    // Servers still running when the JVM exits (a test that forgot close()) are killed, not orphaned.
    private static final Set<TestingMariaDb> LIVE = ConcurrentHashMap.newKeySet();

    private static Binaries binaries;
    private static RuntimeException installFailure;

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(TestingMariaDb::killQuietly), "TestingMariaDb-reaper"));
    }

    private final Path directory;
    private final Path dataDir;
    private final int port;
    private final List<String> command;
    private volatile Process process;
    private boolean closed;

    private TestingMariaDb(Path directory, Path dataDir, int port, List<String> command, Process process) {
        this.directory = directory;
        this.dataDir = dataDir;
        this.port = port;
        this.command = List.copyOf(command);
        this.process = process;
    }

    /** Starts a server with the default options. */
    public static TestingMariaDb start() {
        return start(Map.of());
    }

    /**
     * Starts a server, each entry of {@code serverOptions} passed as {@code --key=value} (an empty
     * value as a bare {@code --key}). A key replaces the default of the same name, {@code _} and
     * {@code -} being the same ({@code binlog_format} replaces {@code --binlog-format=ROW}). The
     * data directory, port, socket, pid file, user and error log belong to the fixture.
     *
     * @throws IllegalArgumentException if an option names one the fixture owns
     * @throws IllegalStateException if MariaDB cannot be installed or the server does not come up
     *     within 60 s; the message holds the tail of its error log
     */
    public static TestingMariaDb start(Map<String, String> serverOptions) {
        Map<String, String> options = serverOptions(serverOptions);
        Binaries installed = binaries();
        Path directory;
        try {
            directory = Files.createTempDirectory("mariadb-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        boolean started = false;
        try {
            Path dataDir = directory.resolve("data");
            installSystemTables(installed, directory, dataDir);
            Path initFile = directory.resolve("init.sql");
            // Runs before the server accepts connections, so the admin can reach it over TCP
            // whatever the install made of root; kept out of the binlog a replica will read.
            Files.writeString(initFile, """
                    SET SESSION sql_log_bin = 0;
                    CREATE USER IF NOT EXISTS 'root'@'127.0.0.1';
                    GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
                    """);
            for (int attempt = 1; ; attempt++) {
                // A free port can be taken by someone else before mariadbd binds it: pick again.
                int port = freePort();
                List<String> command = serverCommand(installed.mariadbd(), directory, dataDir, port, options);
                List<String> firstCommand = new ArrayList<>(command);
                firstCommand.add("--init-file=" + initFile);
                Process process = launch(firstCommand, directory);
                Optional<String> failure = awaitReady(process, port, directory);
                if (failure.isEmpty()) {
                    TestingMariaDb server = new TestingMariaDb(directory, dataDir, port, command, process);
                    LIVE.add(server);
                    started = true;
                    return server;
                }
                destroy(process);
                if (!isBindFailure(directory) || attempt == START_ATTEMPTS) {
                    throw new IllegalStateException("mariadbd did not start on port " + port + ": " + failure.get());
                }
                // The next attempt's failure must be told from this one's.
                Files.deleteIfExists(directory.resolve("error.log"));
                Files.deleteIfExists(directory.resolve("server.out"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (!started) {
                deleteRecursively(directory);
            }
        }
    }

    public String host() {
        return HOST;
    }

    public int port() {
        return port;
    }

    /** The data directory; it outlives {@link #stop} and {@link #kill} and is deleted by {@link #close}. */
    public Path dataDir() {
        return dataDir;
    }

    /** The admin user's name; its password is empty. */
    public String adminUser() {
        return ADMIN_USER;
    }

    /** A MariaDB Connector/J URL for {@code database}, which may be empty (no default database). */
    public String jdbcUrl(String database) {
        requireNonNull(database, "database is null");
        return "jdbc:mariadb://" + HOST + ":" + port + "/" + database;
    }

    /** Opens a connection as the admin user with no default database; the caller closes it. */
    public Connection connect() throws SQLException {
        return connect("");
    }

    /** Opens a connection as the admin user to {@code database}; the caller closes it. */
    public Connection connect(String database) throws SQLException {
        return DriverManager.getConnection(jdbcUrl(database), ADMIN_USER, "");
    }

    /** Runs each statement in order as the admin, with autocommit. */
    public void execute(String... statements) {
        execute("", List.of(statements));
    }

    /**
     * Runs each statement in order as the admin in {@code database}, with autocommit. (The
     * statements are a list: {@code execute(String, String...)} beside {@code execute(String...)}
     * would make every call with strings ambiguous.)
     */
    public void execute(String database, List<String> statements) {
        try (Connection connection = connect(database); Statement statement = connection.createStatement()) {
            for (String sql : statements) {
                statement.execute(sql);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("statement failed on " + jdbcUrl(database) + ": " + e.getMessage(), e);
        }
    }

    /**
     * Creates {@code user} at any host with {@code password} and grants it {@code privileges} (names
     * such as {@code "SELECT"} or {@code "REPLICATION SLAVE"}) on {@code *.*}. The account is kept
     * out of the binary log, so a replica under test sees only the test's own changes.
     */
    public void createUser(String user, String password, String... privileges) {
        requireNonNull(user, "user is null");
        requireNonNull(password, "password is null");
        for (String privilege : privileges) {
            if (!PRIVILEGE.matcher(privilege).matches()) {
                throw new IllegalArgumentException("not a privilege name: " + privilege);
            }
        }
        String account = quote(user) + "@'%'";
        List<String> statements = new ArrayList<>();
        statements.add("SET SESSION sql_log_bin = 0");
        statements.add("CREATE USER " + account + " IDENTIFIED BY " + quote(password));
        if (privileges.length > 0) {
            statements.add("GRANT " + String.join(", ", privileges) + " ON *.* TO " + account);
        }
        execute("", statements);
    }

    /**
     * Creates a user with what a binlog replica that takes an initial snapshot needs on MariaDB
     * 10.11: REPLICATION SLAVE (read the binlog), BINLOG MONITOR (SHOW MASTER STATUS and SHOW BINARY
     * LOGS; the old REPLICATION CLIENT), SELECT (the snapshot) and RELOAD (FLUSH TABLES ... WITH
     * READ LOCK).
     */
    public void createReplicationUser(String user, String password) {
        createUser(user, password, "REPLICATION SLAVE", "BINLOG MONITOR", "SELECT", "RELOAD");
    }

    /** The current binlog file and position ({@code SHOW MASTER STATUS}). */
    public BinlogPosition masterStatus() {
        return query("SHOW MASTER STATUS", result -> {
            if (!result.next()) {
                throw new IllegalStateException("SHOW MASTER STATUS returned no row: the binary log is off");
            }
            return new BinlogPosition(result.getString("File"), result.getLong("Position"));
        });
    }

    /** The GTID position of the binary log ({@code @@global.gtid_binlog_pos}); empty before the first transaction. */
    public String gtidBinlogPos() {
        return query("SELECT @@global.gtid_binlog_pos", result -> {
            result.next();
            return result.getString(1);
        });
    }

    /** The binlog files the server keeps, oldest first ({@code SHOW BINARY LOGS}). */
    public List<String> binlogFiles() {
        return query("SHOW BINARY LOGS", result -> {
            List<String> files = new ArrayList<>();
            while (result.next()) {
                files.add(result.getString("Log_name"));
            }
            return List.copyOf(files);
        });
    }

    /** Closes the current binlog file and opens the next ({@code FLUSH BINARY LOGS}). */
    public void flushLogs() {
        execute("FLUSH BINARY LOGS");
    }

    /** Deletes the binlog files before {@code file} ({@code PURGE BINARY LOGS TO}). */
    public void purgeLogsTo(String file) {
        requireNonNull(file, "file is null");
        if (!BINLOG_FILE.matcher(file).matches()) {
            throw new IllegalArgumentException("not a binlog file name: " + file);
        }
        execute("PURGE BINARY LOGS TO '" + file + "'");
    }

    /** Shuts the server down cleanly (SIGTERM) and waits up to 60 s; does nothing if it is not running. */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(STOP_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                destroy(process);
                throw new IllegalStateException("mariadbd did not shut down within " + STOP_TIMEOUT_SECONDS + " s; killed it");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            destroy(process);
            throw new IllegalStateException("interrupted while stopping mariadbd; killed it", e);
        } finally {
            process = null;
        }
    }

    /** Kills the server (SIGKILL), as a crash would, and waits for it to die; does nothing if it is not running. */
    public synchronized void kill() {
        if (process != null) {
            destroy(process);
            process = null;
        }
    }

    /**
     * Starts the server again on the same data directory and port, stopping it cleanly first if it
     * runs. After {@link #kill} the server recovers its committed transactions.
     *
     * @throws IllegalStateException if the port has been taken or the server does not come up
     */
    public synchronized void restart() {
        if (closed) {
            throw new IllegalStateException("closed");
        }
        stop();
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress(HOST, port));
        } catch (IOException e) {
            throw new IllegalStateException("cannot restart mariadbd: port " + port + " has been taken by another process", e);
        }
        Process started = launch(command, directory);
        Optional<String> failure = awaitReady(started, port, directory);
        if (failure.isPresent()) {
            destroy(started);
            String reason = isBindFailure(directory) ? "port " + port + " has been taken by another process; " : "";
            throw new IllegalStateException("mariadbd did not restart: " + reason + failure.get());
        }
        process = started;
    }

    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** Stops the server if it runs (killing it if a clean stop fails) and deletes its directory. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            stop();
        } finally {
            kill();
            LIVE.remove(this);
            deleteRecursively(directory);
        }
    }

    private interface ResultReader<T> {
        T read(ResultSet result) throws SQLException;
    }

    private <T> T query(String sql, ResultReader<T> reader) {
        try (Connection connection = connect(); Statement statement = connection.createStatement(); ResultSet result = statement.executeQuery(sql)) {
            return reader.read(result);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + " failed: " + e.getMessage(), e);
        }
    }

    private record Binaries(Path mariadbd, Path installDb) {}

    /** Finds the binaries, running the install script at most once per JVM (a failure is remembered). */
    private static synchronized Binaries binaries() {
        if (installFailure != null) {
            throw new IllegalStateException("MariaDB is not available: " + installFailure.getMessage(), installFailure);
        }
        if (binaries == null) {
            try {
                binaries = locateOrInstall();
            } catch (RuntimeException e) {
                installFailure = e;
                throw e;
            }
        }
        return binaries;
    }

    private static Binaries locateOrInstall() {
        Optional<Path> mariadbd = find("mariadbd");
        if (mariadbd.isEmpty()) {
            runInstallScript();
            mariadbd = find("mariadbd");
        }
        Path server = mariadbd.orElseThrow(() -> new IllegalStateException(INSTALL_SCRIPT + " ran but mariadbd is still not found"));
        Path installDb = find("mariadb-install-db")
                .or(() -> find("mysql_install_db"))
                .orElseThrow(() -> new IllegalStateException("mariadbd is at " + server + " but mariadb-install-db is not found"));
        return new Binaries(server, installDb);
    }

    private static Optional<Path> find(String name) {
        List<Path> directories = new ArrayList<>(SEARCH_DIRECTORIES);
        String path = System.getenv("PATH");
        if (path != null) {
            Arrays.stream(path.split(":")).filter(entry -> !entry.isEmpty()).map(Path::of).forEach(directories::add);
        }
        return directories.stream().map(directory -> directory.resolve(name)).filter(Files::isExecutable).findFirst();
    }

    private static void runInstallScript() {
        Path script = repositoryRoot().resolve(INSTALL_SCRIPT);
        try {
            Path output = Files.createTempFile("install-mariadb-", ".log");
            try {
                Process install = new ProcessBuilder(script.toString()).redirectErrorStream(true).redirectOutput(output.toFile()).start();
                if (!install.waitFor(15, TimeUnit.MINUTES)) {
                    destroy(install);
                    throw new IllegalStateException(script + " did not finish within 15 minutes:\n" + tail(output));
                }
                if (install.exitValue() != 0) {
                    throw new IllegalStateException(script + " failed with exit code " + install.exitValue() + ":\n" + tail(output));
                }
            } finally {
                Files.deleteIfExists(output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + script, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while installing MariaDB", e);
        }
    }

    private static Path repositoryRoot() {
        Path start = Path.of("").toAbsolutePath();
        for (Path directory = start; directory != null; directory = directory.getParent()) {
            if (Files.isRegularFile(directory.resolve(INSTALL_SCRIPT))) {
                return directory;
            }
        }
        throw new IllegalStateException("mariadbd is not installed and no " + INSTALL_SCRIPT + " was found above " + start);
    }

    private static void installSystemTables(Binaries installed, Path directory, Path dataDir) throws IOException {
        Path log = directory.resolve("install.log");
        List<String> command = List.of(
                installed.installDb().toString(),
                "--no-defaults",
                "--datadir=" + dataDir,
                // root keeps a password login (none) instead of unix_socket, so it works over TCP.
                "--auth-root-authentication-method=normal",
                "--skip-test-db");
        Process install = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            if (!install.waitFor(READY_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                destroy(install);
                throw new IllegalStateException("mariadb-install-db did not finish within " + READY_TIMEOUT_SECONDS + " s:\n" + tail(log));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            destroy(install);
            throw new IllegalStateException("interrupted while running mariadb-install-db", e);
        }
        if (install.exitValue() != 0) {
            throw new IllegalStateException("mariadb-install-db failed with exit code " + install.exitValue() + ":\n" + tail(log));
        }
    }

    /** The options past the fixed ones, defaults first, each given option replacing its default. */
    private static Map<String, String> serverOptions(Map<String, String> given) {
        requireNonNull(given, "serverOptions is null");
        Map<String, String> options = new LinkedHashMap<>();
        options.put("log-bin", "mariadb-bin"); // relative: in the data directory
        options.put("binlog-format", "ROW");
        options.put("server-id", "1");
        options.put("skip-name-resolve", "");
        options.put("innodb-buffer-pool-size", "256M");
        // Tests crash the server on purpose; these trade durability of the last second for speed.
        options.put("innodb-flush-log-at-trx-commit", "2");
        options.put("sync-binlog", "0");
        given.forEach((key, value) -> {
            requireNonNull(value, "value of " + key + " is null");
            String name = normalize(key);
            if (FIXED_OPTIONS.contains(name)) {
                throw new IllegalArgumentException("option " + key + " is set by the fixture");
            }
            options.remove(name);
            options.put(name, value);
        });
        return options;
    }

    private static List<String> serverCommand(Path mariadbd, Path directory, Path dataDir, int port, Map<String, String> options) {
        List<String> command = new ArrayList<>(List.of(
                mariadbd.toString(),
                "--no-defaults", // must come first: no my.cnf of the machine leaks in
                "--datadir=" + dataDir,
                "--port=" + port,
                "--bind-address=" + HOST,
                "--socket=" + directory.resolve("mysqld.sock"),
                "--pid-file=" + directory.resolve("mariadbd.pid"),
                "--user=root", // tests run as root here; mariadbd refuses root without it
                "--log-error=" + directory.resolve("error.log")));
        options.forEach((name, value) -> command.add(value.isEmpty() ? "--" + name : "--" + name + "=" + value));
        return command;
    }

    private static String normalize(String key) {
        String name = key.startsWith("--") ? key.substring(2) : key;
        return name.replace('_', '-');
    }

    private static Process launch(List<String> command, Path directory) {
        try {
            return new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(Redirect.appendTo(directory.resolve("server.out").toFile()))
                    .redirectInput(Redirect.from(Path.of("/dev/null").toFile()))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot launch " + command.getFirst(), e);
        }
    }

    /** Waits until the admin can connect; returns why the server did not come up, if it did not. */
    private static Optional<String> awaitReady(Process process, int port, Path directory) {
        String url = "jdbc:mariadb://" + HOST + ":" + port + "/";
        Properties properties = new Properties();
        properties.setProperty("user", ADMIN_USER);
        properties.setProperty("password", "");
        properties.setProperty("connectTimeout", "1000");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(READY_TIMEOUT_SECONDS);
        SQLException last = null;
        try {
            while (System.nanoTime() < deadline) {
                try (Connection connection = DriverManager.getConnection(url, properties)) {
                    return Optional.empty();
                } catch (SQLException e) {
                    last = e;
                }
                // Doubles as the poll interval and notices a server that died at once.
                if (process.waitFor(100, TimeUnit.MILLISECONDS)) {
                    return Optional.of("mariadbd exited with code " + process.exitValue() + "; error log:\n" + serverLogTail(directory));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted while waiting for mariadbd");
        }
        return Optional.of("not ready after " + READY_TIMEOUT_SECONDS + " s (last error: " + (last == null ? "none" : last.getMessage())
                + "); error log:\n" + serverLogTail(directory));
    }

    private static boolean isBindFailure(Path directory) {
        String log = serverLogTail(directory);
        return log.contains("Address already in use") || log.contains("Do you already have another server running on port");
    }

    private static String serverLogTail(Path directory) {
        return tail(directory.resolve("error.log")) + tail(directory.resolve("server.out"));
    }

    private static String tail(Path file) {
        try {
            if (!Files.exists(file)) {
                return "";
            }
            List<String> lines = Files.readAllLines(file, UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size())) + "\n";
        } catch (IOException | UncheckedIOException e) {
            return "(cannot read " + file + ": " + e.getMessage() + ")\n";
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(HOST, 0));
            return socket.getLocalPort();
        }
    }

    private static String quote(String value) {
        return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'";
    }

    private static void destroy(Process process) {
        process.destroyForcibly();
        try {
            if (!process.waitFor(STOP_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw new IllegalStateException("process " + process.pid() + " did not die within " + STOP_TIMEOUT_SECONDS + " s of SIGKILL");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while killing process " + process.pid(), e);
        }
    }

    private static void killQuietly(TestingMariaDb server) {
        try {
            Process running = server.process;
            if (running != null) {
                running.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            deleteRecursively(server.directory);
        } catch (InterruptedException | RuntimeException e) {
            // Best effort while the JVM exits.
        }
    }

    private static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + root, e);
        }
    }
}
