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
// to follow a failover of the primary), migrates it and starts the group
// committer. A vote batch is one transaction: with the server's
// synchronous_commit on and a synchronous standby, a vote is acknowledged
// once it is on two machines. opts.Synchronous does not apply (the server's
// settings decide).
func OpenPostgres(url string, opts Options) (*DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store: PostgreSQL URL: %w", err)
	}
	opts.defaults()
	if opts.FailoverWait == 0 {
		opts.FailoverWait = 15 * time.Second
	}
	connector := pgConnector{stdlib.GetConnector(*cfg)}
	writer := sql.OpenDB(connector)
	writer.SetMaxOpenConns(1) // one writer, as on SQLite: the group committer and the moderators' writes in one order
	reader := sql.OpenDB(connector)
	reader.SetMaxOpenConns(4)
	return start(&DB{path: hidePassword(cfg), dialect: postgresDialect, opts: opts, writer: writer, reader: reader})
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
// would take them; database/sql asks it for statements too.
func (c *pgConn) CheckNamedValue(nv *driver.NamedValue) error {
	v := reflect.ValueOf(nv.Value)
	switch {
	case !v.IsValid():
	case v.Kind() == reflect.Bool:
		nv.Value = int64(0)
		if v.Bool() {
			nv.Value = int64(1)
		}
	case v.Kind() == reflect.String:
		nv.Value = v.String()
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8:
		nv.Value = string(v.Bytes())
	case v.CanInt():
		nv.Value = v.Int()
	}
	return nil
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

// pgUnique reports whether err is PostgreSQL's unique_violation.
func pgUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}
