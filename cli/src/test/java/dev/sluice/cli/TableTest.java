package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class TableTest {

    @Test
    void columnsArePaddedToTheirWidestCellTwoSpacesApart() {
        List<String> lines = new Table("ID", "NAME", "STATUS")
                .row("3f2a9c1e", "train-1", "PENDING")
                .row("ab", "a-much-longer-name", "RUNNING")
                .lines();
        assertThat(lines).containsExactly(
                "ID        NAME                STATUS",
                "3f2a9c1e  train-1             PENDING",
                "ab        a-much-longer-name  RUNNING");
    }

    @Test
    void everyColumnStartsAtTheSameOffsetOnEveryLine() {
        List<String> lines = new Table("A", "BB", "C").row("xxxxx", "y", "z").row("x", "yyyyyyy", "zz").lines();
        assertThat(lines).containsExactly(
                "A      BB       C",
                "xxxxx  y        z",
                "x      yyyyyyy  zz");
        assertThat(lines).allSatisfy(l -> assertThat(l.substring(5, 7)).isBlank())
                .allSatisfy(l -> assertThat(l.charAt(7)).isNotEqualTo(' '))
                .allSatisfy(l -> assertThat(l.charAt(16)).isNotEqualTo(' '));
    }

    @Test
    void emptyCellsShowADashAndNoLineEndsInSpaces() {
        List<String> lines = new Table("NAME", "REASON").row(null, "").row("x", "waiting to be scheduled").lines();
        assertThat(lines.get(1)).isEqualTo("-     -");
        assertThat(lines).allSatisfy(l -> assertThat(l).doesNotEndWith(" "));
    }

    @Test
    void aTableWithoutRowsIsItsHeader() {
        assertThat(new Table("ID", "NAME").toString()).isEqualTo("ID  NAME\n");
    }

    @Test
    void newlinesInACellDoNotBreakTheRow() {
        assertThat(new Table("A", "B").row("two\nlines", "x").lines().get(1)).isEqualTo("two lines  x");
    }

    @Test
    void aRowWithTheWrongNumberOfCellsIsAProgrammingError() {
        assertThatThrownBy(() -> new Table("A", "B").row("only one")).isInstanceOf(IllegalArgumentException.class);
    }
}
