package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// OpenPostgres opens the PostgreSQL database at url (a libpq URL or
// key=value string, "postgres://ovation:…@db1:5432,db2:5432/ovation?target_session_attrs=read-write"
// to follow a failover of the primary), migrates it, takes it over and
// starts the group committer. A vote batch is one transaction: with the
// server's synchronous_commit on and a synchronous standby, a vote is
// acknowledged once it is on two machines. opts.Synchronous does not apply
// (the server's settings decide).
//
// Taking over fences out every process that opened the database before:
// from then on, their writes fail (Fenced reports it), and a write of
// theirs under way when this one opened is finished or aborted first (a
// paused process's connection is ended). Two cores never write at once.
func OpenPostgres(url string, opts Options) (*DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store: PostgreSQL URL: %w", err)
	}
	opts.defaults()
	if opts.FailoverWait == 0 {
		opts.FailoverWait = 15 * time.Second
	}
	db := &DB{path: hidePassword(cfg), dialect: postgresDialect, opts: opts, fenced: make(chan struct{})}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	boot := sql.OpenDB(pgConnector{stdlib.GetConnector(*cfg)})
	db.writer = boot
	err = db.migrate(ctx)
	if err == nil && opts.Cluster != "" && !opts.Beside {
		err = checkCluster(ctx, boot, opts.Cluster)
	}
	switch {
	case err == nil && opts.Beside:
		err = boot.QueryRowContext(ctx, `SELECT token FROM fence`).Scan(&db.token)
	case err == nil:
		db.token, err = takeOver(ctx, boot)
	}
	boot.Close()
	if err != nil {
		return nil, fmt.Errorf("%w (database %s)", err, db.path)
	}
	cfg.RuntimeParams["ovation.fence"] = strconv.FormatInt(db.token, 10)
	connector := pgConnector{stdlib.GetConnector(*cfg)}
	db.writer = sql.OpenDB(connector)
	db.writer.SetMaxOpenConns(1) // one writer, as on SQLite: the group committer and the moderators' writes in one order
	db.reader = sql.OpenDB(connector)
	db.reader.SetMaxOpenConns(4)
	return start(db, true)
}

// SettingClusterID is the setting that ties a core's database to its
// cluster (cluster.Core.Bind).
const SettingClusterID = "cluster_id"

// ErrOtherCluster is what OpenPostgres refuses a database with that does
// not hold the cluster identity of Options.Cluster.
var ErrOtherCluster = errors.New("store: the database does not hold this cluster's data")

// checkCluster makes sure the database holds cluster's identity.
func checkCluster(ctx context.Context, x *sql.DB, cluster string) error {
	var have string
	err := x.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, SettingClusterID).Scan(&have)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%w: it has no cluster identity while cluster %s runs; refusing to act as core: point store.url at the cluster's database (docs/cluster.md)", ErrOtherCluster, cluster)
	case err != nil:
		return fmt.Errorf("store: read the cluster's identity: %w", err)
	case have != cluster:
		return fmt.Errorf("%w: it belongs to cluster %s, not %s; refusing to act as core: point store.url at the cluster's database (docs/cluster.md)", ErrOtherCluster, have, cluster)
	}
	return nil
}

// takeOver takes the next fencing token of the database (migration 11).
// The update waits for the writes in flight of the processes fenced out;
// those still holding it after a while (a process paused in the middle of
// a transaction) have their connections ended, which aborts them.
func takeOver(ctx context.Context, x *sql.DB) (int64, error) {
	for try := 0; ; try++ {
		tx, err := x.BeginTx(ctx, nil)
		if err != nil {
			return 0, fmt.Errorf("store: take over the database: %w", err)
		}
		var token int64
		_, err = tx.ExecContext(ctx, `SET LOCAL lock_timeout = '2s'`)
		if err == nil {
			err = tx.QueryRowContext(ctx, `UPDATE fence SET token = token + 1 RETURNING token`).Scan(&token)
		}
		if err == nil {
			err = tx.Commit()
		}
		tx.Rollback()
		var pe *pgconn.PgError
		if err == nil || !errors.As(err, &pe) || pe.Code != "55P03" || try == 5 { // 55P03: lock_not_available
			if err != nil {
				return 0, fmt.Errorf("store: take over the database: %w", err)
			}
			return token, nil
		}
		if _, err := x.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_locks
			WHERE relation = 'fence'::regclass AND pid <> pg_backend_pid() AND granted`); err != nil {
			return 0, fmt.Errorf("store: end the writes of a fenced process: %w", err)
		}
	}
}

// hidePassword names the database of cfg for messages, without its password.
func hidePassword(cfg *pgx.ConnConfig) string {
	hosts := []string{fmt.Sprintf("%s:%d", cfg.Host, cfg.Port)}
	for _, f := range cfg.Fallbacks {
		if h := fmt.Sprintf("%s:%d", f.Host, f.Port); h != hosts[len(hosts)-1] {
			hosts = append(hosts, h)
		}
	}
	return fmt.Sprintf("postgres://%s@%s/%s", cfg.User, strings.Join(hosts, ","), cfg.Database)
}

// pgConnector makes connections that speak the store's SQL: queries are
// written once, with SQLite's ? and ?N placeholders, which become $N; a
// bool argument becomes 0 or 1, and a value of a named string or byte-slice
// type (live.Answer, json.RawMessage) its text, as the SQLite driver takes
// them, for the schema's BIGINT flags and TEXT columns.
type pgConnector struct{ driver.Connector }

func (c pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &pgConn{conn.(*stdlib.Conn)}, nil
}

// pgConn is a pgx connection that rewrites the store's queries (pgConnector).
type pgConn struct{ *stdlib.Conn }

func (c *pgConn) Prepare(query string) (driver.Stmt, error) { return c.Conn.Prepare(rebind(query)) }

func (c *pgConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.Conn.PrepareContext(ctx, rebind(query))
}

func (c *pgConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.ExecContext(ctx, rebind(query), args)
}

func (c *pgConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return c.Conn.QueryContext(ctx, rebind(query), args)
}

// CheckNamedValue converts the store's arguments as the SQLite driver
// would take them (pgArg); database/sql asks it for statements too.
func (c *pgConn) CheckNamedValue(nv *driver.NamedValue) error {
	nv.Value = pgArg(nv.Value)
	return nil
}

// pgArg is a as the SQLite driver takes it: a bool as 0 or 1, a value of a
// named string or byte-slice type as its text, a named integer as int64.
func pgArg(a any) any {
	v := reflect.ValueOf(a)
	switch {
	case !v.IsValid():
	case v.Kind() == reflect.Bool:
		if v.Bool() {
			return int64(1)
		}
		return int64(0)
	case v.Kind() == reflect.String:
		return v.String()
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8:
		return string(v.Bytes())
	case v.CanInt():
		return v.Int()
	}
	return a
}

// writeBatchPostgres commits a batch's writes in one transaction whose
// statements go to the server together (a pgx batch: one round trip, not
// one a statement), in their order.
func (db *DB) writeBatchPostgres(ctx context.Context, writes []batchWrite) error {
	conn, err := db.writer.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: begin batch: %w", err)
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		c := dc.(*pgConn).Conn.Conn()
		err := func() error {
			tx, err := c.Begin(ctx)
			if err != nil {
				return fmt.Errorf("store: begin batch: %w", err)
			}
			defer tx.Rollback(ctx)
			b := &pgx.Batch{}
			for _, w := range writes {
				args := make([]any, len(w.args))
				for i, a := range w.args {
					args[i] = pgArg(a)
				}
				b.Queue(rebind(w.query), args...)
			}
			br := tx.SendBatch(ctx, b)
			for _, w := range writes {
				if _, err := br.Exec(); err != nil {
					br.Close()
					return fmt.Errorf("store: %s: %w", w.what, err)
				}
			}
			if err := br.Close(); err != nil {
				return fmt.Errorf("store: batch: %w", err)
			}
			if err := tx.Commit(ctx); err != nil {
				return fmt.Errorf("store: commit batch: %w", err)
			}
			return nil
		}()
		if err != nil && c.IsClosed() {
			return errors.Join(err, driver.ErrBadConn) // database/sql drops the connection
		}
		return err
	})
}

var rebound sync.Map // query → its PostgreSQL text

// rebind turns the ? and ?N placeholders of query into $N, leaving string
// literals, quoted names and comments alone.
func rebind(query string) string {
	if q, ok := rebound.Load(query); ok {
		return q.(string)
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		switch c := query[i]; {
		case c == '\'' || c == '"':
			end := strings.IndexByte(query[i+1:], c)
			if end < 0 {
				end = len(query) - i - 1
			}
			b.WriteString(query[i : i+end+2])
			i += end + 1
		case c == '-' && strings.HasPrefix(query[i:], "--"):
			end := strings.IndexByte(query[i:], '\n')
			if end < 0 {
				end = len(query) - i
			}
			b.WriteString(query[i : i+end])
			i += end - 1
		case c == '?':
			j := i + 1
			for j < len(query) && query[j] >= '0' && query[j] <= '9' {
				j++
			}
			if j > i+1 {
				b.WriteString("$" + query[i+1:j])
			} else {
				n++
				b.WriteString("$" + strconv.Itoa(n))
			}
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	q := b.String()
	rebound.Store(query, q)
	return q
}

// pgFault reports whether err says that PostgreSQL cannot take writes now,
// whatever was asked: the connection is gone or refused, the server is
// shutting down or starting, it is a standby (read only: a failover under
// way), or it is out of resources.
func pgFault(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"), // connection exception
			strings.HasPrefix(pe.Code, "53"),  // insufficient resources
			strings.HasPrefix(pe.Code, "57P"), // operator intervention: shutdown, crash, cannot connect now
			pe.Code == "25006",                // read only SQL transaction: a standby
			pe.Code == "58030":                // I/O error
			return true
		}
		return false
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || pgconn.Timeout(err) || pgconn.SafeToRetry(err)
}

// pgFenced reports whether err is the refusal of a write by a process that
// another one took the database over from (migration 11's trigger).
func pgFenced(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "OV001"
}

// ErrFenced is what a process stops with once another one took the
// database over from it (Fenced).
var ErrFenced = errors.New("store: another process took over the database")

// Fenced is closed once a write of this process was refused because
// another process opened the database since (OpenPostgres): this one must
// stop acting. It is nil (never closed) for SQLite.
func (db *DB) Fenced() <-chan struct{} { return db.fenced }

// pgUnique reports whether err is PostgreSQL's unique_violation.
func pgUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}
