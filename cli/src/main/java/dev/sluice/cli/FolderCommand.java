package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code sluice folder}: virtual folders in S3, their files, and clones. */
@Command(name = "folder", description = "Create, list, rename and delete folders; move their files; clone them.",
        subcommands = {
            FolderCommand.Create.class,
            FolderCommand.ListFolders.class,
            FolderCommand.Get.class,
            FolderCommand.Rename.class,
            FolderCommand.Delete.class,
            FolderCommand.Files.class,
            FolderCommand.Upload.class,
            FolderCommand.Download.class,
            FolderCommand.Clone.class})
final class FolderCommand implements Callable<Integer> {
    static final List<String> USAGE_MODES = List.of("general", "model", "data");
    static final List<String> PERMISSIONS = List.of("ro", "rw", "wd");

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return Sluice.EXIT_SETUP;
    }

    static String path(String name) {
        return "/folders/" + SluiceApi.segment(name);
    }

    static String block(JsonNode f, RelativeTime relative) {
        Fields fields = new Fields()
                .add("Name", SessionText.text(f, "name"))
                .add("ID", SessionText.text(f, "id"))
                .add("Status", SessionText.text(f, "status"))
                .add("Usage mode", SessionText.text(f, "usage_mode"))
                .add("Permission", SessionText.text(f, "permission"))
                .add("Cloneable", ResourceGroupCommand.yesNo(f.path("cloneable")))
                .add("Host", SessionText.text(f, "host"))
                .add("Created", SessionText.when(SessionText.text(f, "created_at"), relative));
        return fields.toString();
    }

    @Command(name = "create", description = "Create a folder.")
    static final class Create extends ApiCommand {
        @Parameters(paramLabel = "NAME")
        String name;

        @Option(names = "--usage-mode", paramLabel = "MODE", description = "general (default), model or data.")
        String usageMode;

        @Option(names = "--permission", paramLabel = "PERM", description = "ro, rw (default) or wd.")
        String permission;

        @Option(names = "--cloneable", description = "Allow clones of this folder.")
        boolean cloneable;

        @Override
        public Integer call() {
            ObjectNode body = Json.MAPPER.createObjectNode().put("name", name);
            if (usageMode != null) {
                body.put("usage_mode", oneOf("--usage-mode", usageMode, USAGE_MODES));
            }
            if (permission != null) {
                body.put("permission", oneOf("--permission", permission, PERMISSIONS));
            }
            if (cloneable) {
                body.put("cloneable", true);
            }
            out().print(block(api().send("POST", "/folders", Map.of(), body, Map.of()), relative()));
            return Sluice.EXIT_OK;
        }
    }

    @Command(name = "list", description = "Your folders.")
    static final class ListFolders extends ApiCommand {
        @Option(names = "--json", description = "Print the folders as a JSON array.")
        boolean json;

        @Override
        public Integer call() {
            JsonNode items = api().get("/folders").path("items");
            if (json) {
                printJson(items);
                return Sluice.EXIT_OK;
            }
            Table table = new Table("NAME", "STATUS", "USAGE", "PERM", "CLONEABLE", "CREATED");
            for (JsonNode f : items) {
                table.row(SessionText.text(f, "name"), SessionText.text(f, "status"), SessionText.text(f, "usage_mode"),
                        SessionText.text(f, "permission"), ResourceGroupCommand.yesNo(f.path("cloneable")),
                        SessionText.when(SessionText.text(f, "created_at"), relative()));
            }
            out().print(table);
            return Sluice.EXIT_OK;
        }
    }

    @Command(name = "get", description = "Show one folder.")
    static final class Get extends ApiCommand {
        @Parameters(paramLabel = "NAME")
        String name;

        @Option(names = "--json", description = "Print the folder as JSON.")
        boolean json;

        @Override
        public Integer call() {
            JsonNode folder = api().get(path(name));
            return show(folder, json, FolderCommand::block);
        }
    }

    @Command(name = "rename", description = "Rename a folder (its data does not move).")
    static final class Rename extends ApiCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Parameters(index = "1", paramLabel = "NEW_NAME")
        String newName;

        @Override
        public Integer call() {
            JsonNode f = api().send("PATCH", path(name), Map.of(), Json.MAPPER.createObjectNode().put("name", newName), Map.of());
            out().print(block(f, relative()));
            return Sluice.EXIT_OK;
        }
    }

    @Command(name = "delete", aliases = "rm", description = "Delete a folder and its files (a big folder's files are removed in the background).")
    static final class Delete extends ApiCommand {
        @Parameters(paramLabel = "NAME")
        String name;

        @Option(names = "--watch", description = "When the files are removed in the background, draw the progress until it ends.")
        boolean watch;

        @Option(names = "--events-url", paramLabel = "URL",
                description = "Where task event streams are served (else SLUICE_EVENTS_URL, else the API endpoint).")
        String eventsUrl;

        @Override
        public Integer call() throws InterruptedException {
            JsonNode answer = api().send("DELETE", path(name), Map.of(), null, Map.of());
            if (!answer.has("task_id")) {
                out().print(block(answer, relative()));
                return Sluice.EXIT_OK;
            }
            String taskId = answer.path("task_id").asText();
            out().print(block(answer.path("folder"), relative()));
            out().println("Task:          " + taskId + " (removing the rest of the files in the background; "
                    + "follow it with 'sluice task watch " + taskId + "')");
            return watch ? TaskCommand.watch(this, taskId, eventsUrl) : Sluice.EXIT_OK;
        }
    }

    /** Every file of a folder (all pages). */
    static List<JsonNode> files(SluiceApi api, String name) {
        List<JsonNode> all = new ArrayList<>();
        String cursor = null;
        do {
            Map<String, String> query = new LinkedHashMap<>();
            query.put("limit", "1000");
            if (cursor != null) {
                query.put("cursor", cursor);
            }
            JsonNode page = api.get(path(name) + "/files", query);
            page.path("items").forEach(all::add);
            cursor = page.path("next_cursor").isTextual() ? page.path("next_cursor").asText() : null;
        } while (cursor != null);
        return all;
    }

    @Command(name = "ls", description = "The files of a folder.")
    static final class Files extends ApiCommand {
        @Parameters(paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
            Table table = new Table("PATH", "SIZE");
            for (JsonNode f : files(api(), name)) {
                table.row(SessionText.text(f, "path"), ProgressBar.bytes(f.path("size").asLong()));
            }
            out().print(table);
            return Sluice.EXIT_OK;
        }
    }

    @Command(name = "upload", description = "Upload a file or a whole directory into a folder, straight to S3.")
    static final class Upload extends ApiCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Parameters(index = "1", paramLabel = "LOCAL_PATH")
        Path local;

        @Option(names = "--to", paramLabel = "PREFIX", description = "Put the files under this path in the folder.")
        String prefix;

        @Override
        public Integer call() throws IOException, InterruptedException {
            if (!java.nio.file.Files.exists(local)) {
                throw usage("There is no such file or directory: " + local + ".");
            }
            List<Path> files;
            // Absolute from here on: a relative file's parent and the file itself must be comparable paths.
            Path source = local.toAbsolutePath().normalize();
            Path base = java.nio.file.Files.isDirectory(source) ? source : source.getParent();
            try (Stream<Path> walk = java.nio.file.Files.walk(source)) {
                files = walk.filter(java.nio.file.Files::isRegularFile).sorted().toList();
            }
            long total = 0;
            for (Path f : files) {
                total += java.nio.file.Files.size(f);
            }
            Transfer transfer = new Transfer(api());
            ProgressBar bar = new ProgressBar(err(), root().invocation().clock());
            long done = 0;
            int count = 0;
            for (Path f : files) {
                String rel = base.relativize(f).toString().replace('\\', '/');
                String target = prefix == null || prefix.isBlank() ? rel : prefix.replaceAll("/+$", "") + "/" + rel;
                done += transfer.upload(name, f, target);
                count++;
                bar.draw(count, files.size(), done, total, "uploading");
            }
            bar.finish();
            out().println("uploaded " + count + " file(s), " + ProgressBar.bytes(done) + " to " + name);
            return Sluice.EXIT_OK;
        }
    }

    @Command(name = "download", description = "Download a folder's files (all, or those under --prefix) into a directory.")
    static final class Download extends ApiCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Parameters(index = "1", paramLabel = "LOCAL_DIR")
        Path local;

        @Option(names = "--prefix", paramLabel = "PREFIX", description = "Only the files under this path.")
        String prefix;

        @Override
        public Integer call() throws IOException, InterruptedException {
            List<JsonNode> files = files(api(), name).stream()
                    .filter(f -> prefix == null || f.path("path").asText().startsWith(prefix)).toList();
            long total = files.stream().mapToLong(f -> f.path("size").asLong()).sum();
            Transfer transfer = new Transfer(api());
            ProgressBar bar = new ProgressBar(err(), root().invocation().clock());
            Path root = local.toAbsolutePath().normalize();
            long done = 0;
            int count = 0;
            try {
                for (JsonNode f : files) {
                    Path target = root.resolve(f.path("path").asText()).normalize();
                    if (!target.startsWith(root)) {
                        throw usage("Refusing to write outside " + root + ": " + f.path("path").asText() + ".");
                    }
                    try {
                        done += transfer.download(name, f.path("path").asText(), target);
                    } catch (IOException e) {
                        bar.finish();
                        throw new IOException("Cannot write " + target + ": " + whyNotWritten(e, root) + ". "
                                + written(count, files.size(), done, root), e);
                    }
                    count++;
                    bar.draw(count, files.size(), done, total, "downloading");
                }
            } catch (RuntimeException e) {
                bar.finish();
                throw e;
            }
            bar.finish();
            out().println("downloaded " + count + " file(s), " + ProgressBar.bytes(done) + " into " + root);
            return Sluice.EXIT_OK;
        }
    }

    /** Why a file could not be written, in words (the JDK's exceptions often carry only a path). */
    static String whyNotWritten(IOException e, Path root) {
        String where = e instanceof java.nio.file.FileSystemException fse && fse.getFile() != null ? fse.getFile() : null;
        if (e instanceof java.nio.file.FileAlreadyExistsException) {
            return (where == null ? "a file" : where) + " is a file where a directory is needed"
                    + " (the folder holds a file and a directory of the same path, which no local directory can)";
        }
        if (e instanceof java.nio.file.DirectoryNotEmptyException) {
            return (where == null ? "it" : where) + " is a directory where a file is needed"
                    + " (the folder holds a file and a directory of the same path, which no local directory can)";
        }
        if (e instanceof java.nio.file.NotDirectoryException) {
            return (where == null ? "a parent" : where) + " is not a directory";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied" + (where == null ? "" : " on " + where);
        }
        if (e instanceof java.nio.file.FileSystemException fse && fse.getReason() != null) {
            return fse.getReason() + (where == null ? "" : " (" + where + ")");
        }
        String message = e.getMessage() == null ? "" : e.getMessage();
        return e.getClass().getSimpleName() + (message.isEmpty() ? "" : " (" + message + ")");
    }

    /** What a download that stopped has written. */
    static String written(int count, int of, long bytes, Path root) {
        return "Wrote " + count + " of " + of + " file(s) (" + ProgressBar.bytes(bytes) + ") into " + root
                + " before it; the file and the " + (of - count - 1) + " after it were not written.";
    }

    @Command(name = "clone", description = "Clone a folder in the background; --watch follows it to the end.")
    static final class Clone extends ApiCommand {
        @Parameters(index = "0", paramLabel = "SOURCE")
        String source;

        @Parameters(index = "1", paramLabel = "TARGET")
        String target;

        @Option(names = "--usage-mode", paramLabel = "MODE", description = "general, model or data (default: the source's).")
        String usageMode;

        @Option(names = "--permission", paramLabel = "PERM", description = "ro, rw or wd (default: the source's).")
        String permission;

        @Option(names = "--cloneable", description = "Allow clones of the new folder.")
        boolean cloneable;

        @Option(names = "--watch", description = "Draw the progress until the clone ends; exit 1 if it failed.")
        boolean watch;

        @Option(names = "--events-url", paramLabel = "URL",
                description = "Where task event streams are served (else SLUICE_EVENTS_URL, else the API endpoint).")
        String eventsUrl;

        @Override
        public Integer call() throws InterruptedException {
            ObjectNode body = Json.MAPPER.createObjectNode().put("target_name", target);
            if (usageMode != null) {
                body.put("usage_mode", oneOf("--usage-mode", usageMode, USAGE_MODES));
            }
            if (permission != null) {
                body.put("permission", oneOf("--permission", permission, PERMISSIONS));
            }
            if (cloneable) {
                body.put("cloneable", true);
            }
            JsonNode started = api().send("POST", path(source) + "/clone", Map.of(), body, Map.of());
            String taskId = started.path("task_id").asText();
            out().println("Task:          " + taskId);
            out().println("Target:        " + target + " (" + started.path("target").path("status").asText() + ")");
            if (!watch) {
                return Sluice.EXIT_OK;
            }
            return TaskCommand.watch(this, taskId, eventsUrl);
        }
    }
}
