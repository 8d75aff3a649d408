package io.mppnode.server.cli;

import io.mppnode.server.MppNode;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Node processes on loopback, started with this JVM's java, flags and class path, each with a
 * data directory (and its log, {@code node.log}) under a work directory. {@link #close()} stops
 * them with SIGTERM (a graceful drain) and waits.
 */
public final class LocalCluster implements AutoCloseable {
    private static final long START_SECONDS = 60;
    private static final long STOP_SECONDS = 30;

    private final List<Process> processes = new ArrayList<>();
    private final List<String> addresses = new ArrayList<>();
    private final List<Path> dataDirs = new ArrayList<>();
    private final java.util.Set<Integer> killedNodes = new java.util.HashSet<>();
    private boolean cleanStop = true;

    private LocalCluster() {}

    /** Starts {@code count} nodes with the given extra node flags ({@code --name=value}) and waits until each serves. */
    public static LocalCluster start(int count, Path workDir, List<String> nodeFlags) throws IOException, InterruptedException {
        LocalCluster cluster = new LocalCluster();
        try {
            for (int i = 1; i <= count; i++) {
                Path dataDir = workDir.resolve("node-" + i);
                Files.createDirectories(dataDir);
                cluster.dataDirs.add(dataDir);
                cluster.processes.add(startNode(dataDir, nodeFlags));
            }
            for (int i = 0; i < count; i++) {
                cluster.addresses.add(awaitAddress(cluster.dataDirs.get(i), cluster.processes.get(i)));
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            cluster.processes.forEach(Process::destroyForcibly);
            throw e;
        }
        return cluster;
    }

    public List<String> addresses() {
        return List.copyOf(addresses);
    }

    public Process process(int index) {
        return processes.get(index);
    }

    public Path log(int index) {
        return dataDirs.get(index).resolve("node.log");
    }

    /** Kills node {@code index} at once (SIGKILL), as a crash would. */
    public void kill(int index) throws InterruptedException {
        killedNodes.add(index);
        processes.get(index).destroyForcibly();
        processes.get(index).waitFor(STOP_SECONDS, TimeUnit.SECONDS);
    }

    /** A JVM ends on SIGTERM with 143 (128 + 15) after its shutdown hooks; the node's log says whether it stopped with nothing leaked. */
    private static boolean stoppedCleanly(int exitCode, Path log) {
        if (exitCode != 0 && exitCode != 143) {
            return false;
        }
        try {
            String text = Files.readString(log, StandardCharsets.UTF_8);
            return text.contains("MppNode: node stopped") && !text.contains("memory was not released");
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether every node (killed ones aside) stopped on SIGTERM, logged "node stopped" and leaked nothing. */
    public boolean stoppedCleanly() {
        return cleanStop;
    }

    /** {@code mpp} in a new JVM: this JVM's java, flags (agents aside) and class path; add the subcommand and its flags. */
    public static List<String> mppCommand() {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = new ArrayList<>();
        command.add(java);
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(argument -> !argument.startsWith("-agentlib") && !argument.startsWith("-javaagent")
                        && !argument.startsWith("-Dsurefire") && !argument.startsWith("-Dbasedir")).toList());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(Main.class.getName());
        return command;
    }

    private static Process startNode(Path dataDir, List<String> nodeFlags) throws IOException {
        List<String> command = mppCommand();
        command.add("node");
        command.add("--listen-address=127.0.0.1:0");
        command.add("--metrics-address=");
        command.add("--data-dir=" + dataDir);
        command.addAll(nodeFlags);
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(dataDir.resolve("node.log").toFile())
                .start();
    }

    private static String awaitAddress(Path dataDir, Process process) throws IOException, InterruptedException {
        Path file = dataDir.resolve(MppNode.ADDRESS_FILE);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_SECONDS);
        while (System.nanoTime() < deadline) {
            if (Files.exists(file)) {
                return Files.readString(file, StandardCharsets.UTF_8).trim();
            }
            if (!process.isAlive()) {
                throw new IOException("a node exited with code " + process.exitValue() + " before serving; its log:\n"
                        + Files.readString(dataDir.resolve("node.log")));
            }
            Thread.sleep(50); // the node process announces itself only through the file: poll it, bounded by the deadline
        }
        throw new IOException("a node did not start serving within " + START_SECONDS + " s; see " + dataDir.resolve("node.log"));
    }

    @Override
    public void close() {
        processes.stream().filter(Process::isAlive).forEach(process -> process.toHandle().destroy()); // SIGTERM: drain and stop
        for (int i = 0; i < processes.size(); i++) {
            Process process = processes.get(i);
            boolean killed = killedNodes.contains(i);
            try {
                if (!process.waitFor(STOP_SECONDS, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    cleanStop = false;
                } else if (!killed && !stoppedCleanly(process.exitValue(), log(i))) {
                    cleanStop = false;
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
