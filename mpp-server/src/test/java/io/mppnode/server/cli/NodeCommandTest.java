package io.mppnode.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mppnode.server.config.ConfigException;
import io.mppnode.server.config.NodeConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

class NodeCommandTest {
    @Test
    void helpListsEveryPropertyAsAFlagWithItsDefault() {
        CommandLine commandLine = Main.commandLine();
        StringWriter out = new StringWriter();
        commandLine.setOut(new PrintWriter(out));

        int exitCode = commandLine.execute("node", "--help");

        assertThat(exitCode).isZero();
        // descriptions wrap at the terminal width; compare with the line breaks folded into spaces
        String help = out.toString().replaceAll("\\s+", " ");
        assertThat(help).contains("Usage: mpp node").contains("--config=<file>");
        // picocli may also break a line after a dot inside a word ("db.table" shows as "db." and
        // "table" on the next line): the descriptions are compared with all white space removed
        String unspaced = help.replaceAll("\\s+", "");
        NodeConfig.PROPERTIES.forEach((name, defaultAndDescription) -> {
            String shownDefault = defaultAndDescription[0].isEmpty() ? "empty" : defaultAndDescription[0];
            assertThat(help).as("help of --%s", name).contains("--" + name + "=<value>");
            assertThat(unspaced).as("help of --%s", name)
                    .contains((defaultAndDescription[1] + " (default: " + shownDefault + ")").replaceAll("\\s+", ""));
        });
        assertThat(help).contains("--task-timeout=<value> how long a connection waits for its task, and a task for its receivers (default: 10s)");
        assertThat(help).contains("(default: 127.0.0.1:3930)").contains("(default: 4GiB)").contains("(default: 8MiB)");
    }

    @Test
    void helpListsThePropertiesInTheirDocumentedOrder() {
        String help = Main.commandLine().getSubcommands().get("node").getUsageMessage(CommandLine.Help.Ansi.OFF);
        List<String> listed = new ArrayList<>();
        Matcher flag = Pattern.compile("^\\s+--([a-z-]+)=<value>", Pattern.MULTILINE).matcher(help);
        while (flag.find()) {
            listed.add(flag.group(1));
        }
        assertThat(listed).containsExactlyElementsOf(NodeConfig.PROPERTIES.keySet());
    }

    @Test
    void flagsParseIntoTheConfig() {
        CommandLine commandLine = Main.commandLine();
        commandLine.parseArgs("node",
                "--listen-address=127.0.0.1:0",
                "--advertised-address=node-7.example:3930",
                "--task-timeout=5s",
                "--memory-limit=1GiB",
                "--query-memory-limit", "512MiB",
                "--worker-threads=3",
                "--sample-tables=true",
                "--metrics-address=");
        CommandSpec spec = commandLine.getSubcommands().get("node").getCommandSpec();

        NodeConfig config = NodeCommand.config(spec, null);

        assertThat(config.listenAddress()).isEqualTo("127.0.0.1:0");
        assertThat(config.advertisedAddress()).isEqualTo("node-7.example:3930");
        assertThat(config.taskTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.memoryLimitBytes()).isEqualTo(1L << 30);
        assertThat(config.queryMemoryLimitBytes()).isEqualTo(512L << 20);
        assertThat(config.workerThreads()).isEqualTo(3);
        assertThat(config.sampleTables()).isTrue();
        assertThat(config.metricsAddress()).as("an empty flag disables the endpoint").isEmpty();
        // flags not given keep their defaults
        assertThat(config.shutdownTimeout()).isEqualTo(NodeConfig.defaults().shutdownTimeout());
        assertThat(config.dataDir()).isEqualTo(NodeConfig.defaults().dataDir());
    }

    @Test
    void noFlagsGiveTheDefaults() {
        CommandLine commandLine = Main.commandLine();
        commandLine.parseArgs("node");
        assertThat(NodeCommand.config(commandLine.getSubcommands().get("node").getCommandSpec(), null))
                .isEqualTo(NodeConfig.defaults());
    }

    @Test
    void flagsWinOverTheConfigFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("node.properties");
        Files.writeString(file, "task-timeout=20s\nworker-threads=4\nshutdown-timeout=1m\n", StandardCharsets.UTF_8);
        CommandLine commandLine = Main.commandLine();
        commandLine.parseArgs("node", "--config", file.toString(), "--task-timeout=2s");
        CommandLine node = commandLine.getSubcommands().get("node");
        Path configFile = ((NodeCommand) node.getCommand()).configFile;
        assertThat(configFile).isEqualTo(file);

        NodeConfig config = NodeCommand.config(node.getCommandSpec(), configFile);

        assertThat(config.taskTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(config.workerThreads()).isEqualTo(4);
        assertThat(config.shutdownTimeout()).isEqualTo(Duration.ofMinutes(1));
    }

    @Test
    void aBadFlagValueIsAConfigErrorNamingTheProperty() {
        CommandLine commandLine = Main.commandLine();
        commandLine.parseArgs("node", "--task-timeout=-5s");
        CommandSpec spec = commandLine.getSubcommands().get("node").getCommandSpec();
        assertThatThrownBy(() -> NodeCommand.config(spec, null))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("task-timeout");
    }

    @Test
    void anUnknownFlagIsRefused() {
        assertThatThrownBy(() -> Main.commandLine().parseArgs("node", "--task-timout=5s"))
                .isInstanceOf(CommandLine.UnmatchedArgumentException.class)
                .hasMessageContaining("--task-timout");

        CommandLine commandLine = Main.commandLine();
        StringWriter err = new StringWriter();
        commandLine.setErr(new PrintWriter(err));
        assertThat(commandLine.execute("node", "--no-such-flag=1")).isEqualTo(2);
        assertThat(err.toString()).contains("--no-such-flag");
    }

    @Test
    void aConfigFileWithAnUnknownPropertyExitsWithCode2NamingIt(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("node.properties");
        Files.writeString(file, "listen-address=127.0.0.1:0\nworker-thread=4\n", StandardCharsets.UTF_8);

        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream originalErr = System.err;
        int exitCode;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            exitCode = Main.commandLine().execute("node", "--config", file.toString(), "--metrics-address=");
        } finally {
            System.setErr(originalErr);
        }

        assertThat(exitCode).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .startsWith("mpp node: ")
                .contains("unknown property 'worker-thread'");
    }

    @Test
    void aMissingConfigFileExitsWithCode2NamingIt(@TempDir Path dir) {
        Path missing = dir.resolve("missing.properties");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream originalErr = System.err;
        int exitCode;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            exitCode = Main.commandLine().execute("node", "--config", missing.toString());
        } finally {
            System.setErr(originalErr);
        }
        assertThat(exitCode).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains(missing.toString());
    }
}
