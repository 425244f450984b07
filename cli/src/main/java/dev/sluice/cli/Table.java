package dev.sluice.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** A plain-text table like {@code squeue}'s: a header row, columns padded to their widest cell, two spaces apart. */
final class Table {
    private static final String GAP = "  ";
    private final List<String> headers;
    private final List<List<String>> rows = new ArrayList<>();

    Table(String... headers) {
        this.headers = List.of(headers);
    }

    Table row(String... cells) {
        if (cells.length != headers.size()) {
            throw new IllegalArgumentException("a row of " + headers.size() + " cells expected, got " + cells.length);
        }
        rows.add(Arrays.stream(cells).map(c -> c == null || c.isEmpty() ? "-" : c.replaceAll("\\s+", " ")).toList());
        return this;
    }

    int size() {
        return rows.size();
    }

    /** The lines of the table, header first, without trailing spaces. */
    List<String> lines() {
        int[] widths = new int[headers.size()];
        for (int i = 0; i < widths.length; i++) {
            widths[i] = headers.get(i).length();
            for (List<String> row : rows) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        List<String> lines = new ArrayList<>();
        lines.add(line(headers, widths));
        rows.forEach(r -> lines.add(line(r, widths)));
        return lines;
    }

    @Override
    public String toString() {
        return String.join("\n", lines()) + "\n";
    }

    private static String line(List<String> cells, int[] widths) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            if (i > 0) {
                b.append(GAP);
            }
            b.append(cells.get(i));
            if (i < cells.size() - 1) {
                b.append(" ".repeat(widths[i] - cells.get(i).length()));
            }
        }
        return b.toString().stripTrailing();
    }
}
