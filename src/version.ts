/** litmus's version, as the CLI, the servers and the traces report it. */
export const VERSION = "0.1.0";
