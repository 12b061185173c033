// Command ferretdb runs an embedded FerretDB (MongoDB wire protocol) with the PostgreSQL or SQLite
// backend, for local development and tests.
//
// It exists because the stock cmd/ferretdb cannot be built straight from the Go module
// (it panics for want of generated build/version files), while the embeddable
// github.com/FerretDB/FerretDB/ferretdb package can.
//
// Usage:
//
//	ferretdb -listen 127.0.0.1:27017 -data ./data [-postgresql-url postgres://...] [-log-level info]
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on")
	data := flag.String("data", "", "directory holding the SQLite databases (created if missing)")
	logLevel := flag.String("log-level", "info", "log level: debug, info, warn or error")
	postgresURL := flag.String("postgresql-url", "", "use the PostgreSQL backend at this URL instead of SQLite")
	flag.Parse()

	if err := run(*listen, *data, *logLevel, *postgresURL); err != nil {
		fmt.Fprintf(os.Stderr, "ferretdb: %s\n", err)
		os.Exit(1)
	}
}

func run(listen, data, logLevel, postgresURL string) error {
	if data == "" {
		return fmt.Errorf("-data is required")
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(logLevel)); err != nil {
		return fmt.Errorf("invalid -log-level %q: %w", logLevel, err)
	}

	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{Level: level}))

	dir, err := filepath.Abs(data)
	if err != nil {
		return fmt.Errorf("resolving -data: %w", err)
	}

	// FerretDB requires an existing directory and a URI path ending with "/".
	if err = os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating -data directory: %w", err)
	}

	sqliteURL := (&url.URL{Scheme: "file", Path: strings.TrimSuffix(dir, "/") + "/", OmitHost: true}).String()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// FerretDB itself listens on a Unix socket; clients reach it through the proxy that
	// serialises write commands (see serialize.go).
	socket := filepath.Join(dir, "ferretdb.sock")
	_ = os.Remove(socket)

	config := &ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{Unix: socket},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: sqliteURL,
	}
	backend := sqliteURL

	// PostgreSQL pushes equality filters down to SQL (SQLite only `{_id: x}` alone), so the
	// conditional updates the services rely on do not scan every document in Go.
	if postgresURL != "" {
		config.Handler, config.SQLiteURL, config.PostgreSQLURL = "postgresql", "", postgresURL
		backend = postgresURL
	}

	f, err := ferretdb.New(config)
	if err != nil {
		return err
	}

	logger.Info("starting FerretDB", "version", moduleVersion(), "listen", listen, "backend", backend)

	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}

	p := &proxy{upstream: socket, logger: logger}
	proxyDone := make(chan error, 1)

	go func() { proxyDone <- p.serve(ctx, ln) }()

	// Run returns once ctx is canceled and all connections and the backend are closed.
	if err = f.Run(ctx); err != nil {
		return err
	}

	if err = <-proxyDone; err != nil {
		return err
	}

	logger.Info("FerretDB stopped")

	return nil
}

// moduleVersion returns the FerretDB module version compiled in, because the embedded
// package itself reports "unknown" (its generated version files are absent).
func moduleVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == "github.com/FerretDB/FerretDB" {
				return dep.Version
			}
		}
	}

	return "unknown"
}
