package io.mppnode.server.config;

/** A setting the node cannot honour; the message names the property and the problem. */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }
}
