package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code sluice task}: background tasks (clones): inspect, list, cancel, watch. */
@Command(name = "task", description = "Background tasks: get, list, cancel and watch them.",
        subcommands = {TaskCommand.Get.class, TaskCommand.ListTasks.class, TaskCommand.Cancel.class, TaskCommand.Watch.class})
final class TaskCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return Sluice.EXIT_SETUP;
    }

    static String path(String id) {
        return "/tasks/" + SluiceApi.segment(id);
    }

    static String block(JsonNode t, RelativeTime relative) {
        JsonNode p = t.path("progress");
        Fields f = new Fields()
                .add("ID", SessionText.text(t, "id"))
                .add("Kind", SessionText.text(t, "kind"))
                .add("Status", SessionText.text(t, "status"))
                .add("Phase", SessionText.text(p, "phase"))
                .add("Objects", p.path("objects_done").asLong() + " / " + p.path("objects_total").asLong())
                .add("Bytes", ProgressBar.bytes(p.path("bytes_done").asLong()) + " / " + ProgressBar.bytes(p.path("bytes_total").asLong()))
                .add("Message", SessionText.text(p, "message"))
                .add("Created", SessionText.when(SessionText.text(t, "created_at"), relative));
        if (t.path("error").isTextual()) {
            f.add("Error", t.path("error").asText());
        }
        return f.toString();
    }

    /** Follows a task with a progress bar on stderr; 0 when it is done, 1 when it failed or was cancelled. */
    static int watch(ApiCommand command, String taskId, String eventsUrlOption) throws InterruptedException {
        SluiceApi api = command.api();
        String base = eventsUrlOption != null ? eventsUrlOption
                : command.root().invocation().env().getOrDefault("SLUICE_EVENTS_URL", api.configuration().endpoint());
        ProgressBar bar = new ProgressBar(command.err(), command.root().invocation().clock());
        JsonNode last = new TaskFollower(base.replaceAll("/+$", ""), api.configuration().token(), command.root().invocation().pause())
                .follow(taskId, t -> {
                    JsonNode p = t.path("progress");
                    bar.draw(p.path("objects_done").asLong(), p.path("objects_total").asLong(), p.path("bytes_done").asLong(),
                            p.path("bytes_total").asLong(), p.path("phase").asText());
                });
        bar.finish();
        String status = last.path("status").asText();
        if (status.equals("done")) {
            command.out().println("done: " + last.path("progress").path("objects_done").asLong() + " objects, "
                    + ProgressBar.bytes(last.path("progress").path("bytes_done").asLong()));
            return Sluice.EXIT_OK;
        }
        String why = last.path("error").isTextual() ? ": " + last.path("error").asText().replaceAll("\\.$", "") : "";
        String ended = status.equals("cancelled") ? "was cancelled" : status;
        command.err().println("error: The task " + last.path("id").asText("") + " " + ended + why + ".");
        return Sluice.EXIT_REFUSED;
    }

    @Command(name = "get", description = "Show one task.")
    static final class Get extends ApiCommand {
        @Parameters(paramLabel = "ID")
        String id;

        @Option(names = "--json", description = "Print the task as JSON.")
        boolean json;

        @Override
        public Integer call() {
            JsonNode task = api().get(path(id));
            return show(task, json, TaskCommand::block);
        }
    }

    @Command(name = "ls", aliases = "list", description = "Your tasks, newest first.")
    static final class ListTasks extends ApiCommand {
        @Override
        public Integer call() {
            Table table = new Table("ID", "KIND", "STATUS", "PHASE", "OBJECTS", "CREATED");
            for (JsonNode t : api().get("/tasks").path("items")) {
                JsonNode p = t.path("progress");
                table.row(SessionText.text(t, "id"), SessionText.text(t, "kind"), SessionText.text(t, "status"), SessionText.text(p, "phase"),
                        p.path("objects_done").asLong() + "/" + p.path("objects_total").asLong(),
                        SessionText.when(SessionText.text(t, "created_at"), relative()));
            }
            out().print(table);
            return Sluice.EXIT_OK;
        }
    }

    @Command(name = "cancel", description = "Cancel a running task; its work is undone.")
    static final class Cancel extends ApiCommand {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        public Integer call() {
            out().print(block(api().send("DELETE", path(id), Map.of(), null, Map.of()), relative()));
            return Sluice.EXIT_OK;
        }
    }

    @Command(name = "watch", description = "Follow a task's progress until it ends; exit 1 if it failed or was cancelled.")
    static final class Watch extends ApiCommand {
        @Parameters(paramLabel = "ID")
        String id;

        @Option(names = "--events-url", paramLabel = "URL",
                description = "Where task event streams are served (else SLUICE_EVENTS_URL, else the API endpoint).")
        String eventsUrl;

        @Override
        public Integer call() throws InterruptedException {
            return watch(this, id, eventsUrl);
        }
    }
}
