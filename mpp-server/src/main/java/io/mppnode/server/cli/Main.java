package io.mppnode.server.cli;

import io.mppnode.server.config.NodeConfig;
import io.mppnode.server.log.NodeLogManager;
import io.mppnode.server.log.OneLineFormatter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The {@code mpp} command line: {@code mpp node} runs a worker, {@code mpp demo} runs a small
 * local cluster end to end. Run through {@code bin/mpp}, which finds a JDK 25 and adds the JVM
 * flags Arrow needs.
 */
@Command(name = "mpp", mixinStandardHelpOptions = true, version = "mpp-node 0.1.0",
        description = "A worker node for distributed analytical queries, in the style of TiFlash.",
        subcommands = {NodeCommand.class, DemoCommand.class, QueryCommand.class, ImportCommand.class, ReplicateCommand.class})
public final class Main implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        System.setProperty("java.util.logging.manager", NodeLogManager.class.getName());
        OneLineFormatter.install(false);
        System.exit(commandLine().execute(args));
    }

    /** The command line with every node property as a {@code --name=value} flag of {@code mpp node}. */
    public static CommandLine commandLine() {
        CommandLine commandLine = new CommandLine(new Main());
        CommandLine node = commandLine.getSubcommands().get("node");
        NodeConfig.PROPERTIES.forEach((name, defaultAndDescription) -> node.getCommandSpec().addOption(
                OptionSpec.builder("--" + name)
                        .paramLabel("<value>")
                        .type(String.class)
                        .description(defaultAndDescription[1] + " (default: "
                                + (defaultAndDescription[0].isEmpty() ? "empty" : defaultAndDescription[0]) + ")")
                        .build()));
        return commandLine;
    }
}
