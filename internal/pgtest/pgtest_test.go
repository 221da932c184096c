package pgtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/ovation-live/ovation/internal/pgtest"
)

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// waitRow waits until conn sees the row with id in votes.
func waitRow(t *testing.T, conn *pgx.Conn, id int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		var n int
		err := conn.QueryRow(ctx, "SELECT count(*) FROM votes WHERE id = $1", id).Scan(&n)
		cancel()
		if err == nil && n == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("row %d not seen: count %d, %v", id, n, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestCluster(t *testing.T) {
	c := pgtest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	primary := connect(t, c.PrimaryURL())
	if _, err := primary.Exec(ctx, "CREATE TABLE votes (id int PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	if _, err := primary.Exec(ctx, "INSERT INTO votes VALUES (1)"); err != nil {
		t.Fatal(err)
	}

	t.Run("the standby reads what the primary wrote", func(t *testing.T) {
		waitRow(t, connect(t, c.StandbyURL()), 1)
	})

	t.Run("a commit waits while the standby is down", func(t *testing.T) {
		c.StopStandby(t)
		writer := connect(t, c.PrimaryURL())
		committed := make(chan error, 1)
		go func() {
			// Bounded: the insert ends within this timeout whatever happens.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, err := writer.Exec(ctx, "INSERT INTO votes VALUES (2)")
			committed <- err
		}()
		// The event that proves the commit waits: its backend waits on
		// synchronous replication.
		deadline := time.Now().Add(10 * time.Second)
		for {
			var waiting int
			err := primary.QueryRow(ctx,
				"SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep' AND query LIKE 'INSERT INTO votes%'").Scan(&waiting)
			if err != nil {
				t.Fatal(err)
			}
			if waiting == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the insert never waited for the standby")
			}
			time.Sleep(20 * time.Millisecond)
		}
		select {
		case err := <-committed:
			t.Fatalf("the commit returned with the standby down: %v", err)
		default:
		}
		c.StartStandby(t)
		select {
		case err := <-committed:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("the commit did not return once the standby was back")
		}
	})

	t.Run("a write through URL succeeds after a failover", func(t *testing.T) {
		c.KillPrimary(t)
		c.Promote(t)
		conn := connect(t, c.URL())
		if _, err := conn.Exec(ctx, "INSERT INTO votes VALUES (3)"); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM votes").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 3 {
			t.Fatalf("%d votes after the failover, want 3 (every acknowledged one and the new)", n)
		}
	})
}
