package io.mppnode.server.cli;

import io.mppnode.server.MppNode;
import io.mppnode.server.config.ConfigException;
import io.mppnode.server.config.NodeConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code mpp node}: runs a worker until SIGTERM or Ctrl-C, then shuts down gracefully. */
@Command(name = "node", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Runs a worker node until SIGTERM or Ctrl-C, then drains running tasks and stops.",
                "Settings come from --config (a properties file with the names below, without --) and from flags; flags win."})
final class NodeCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(NodeCommand.class);

    @Option(names = "--config", paramLabel = "<file>", description = "a properties file of node settings")
    Path configFile;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        NodeConfig config;
        try {
            config = config(spec, configFile);
        } catch (ConfigException e) {
            System.err.println("mpp node: " + e.getMessage());
            return 2;
        }
        MppNode node;
        try {
            node = MppNode.start(config);
        } catch (ConfigException | java.io.IOException e) {
            System.err.println("mpp node: cannot start: " + e.getMessage());
            return 2;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("received a stop signal");
            node.close();
            stopped.countDown();
        }, "mpp-stop-signal"));
        stopped.await();
        return 0;
    }

    /** The node config from the file (if any) and the flags given on the command line. */
    static NodeConfig config(CommandSpec spec, Path configFile) {
        Map<String, String> flags = new LinkedHashMap<>();
        for (String name : NodeConfig.PROPERTIES.keySet()) {
            OptionSpec option = spec.findOption("--" + name);
            if (option != null && !option.originalStringValues().isEmpty()) {
                flags.put(name, option.getValue());
            }
        }
        return configFile == null ? NodeConfig.load(flags) : NodeConfig.load(configFile, flags);
    }
}
