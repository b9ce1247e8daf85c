// Command daprd is kedasim's minimal build of the Dapr sidecar.
//
// Copyright The Dapr Authors (main() adapted from dapr v1.9.6 cmd/daprd/main.go),
// Licensed under the Apache License, Version 2.0; see NOTICE.
//
// It runs the unmodified Dapr runtime (github.com/dapr/dapr v1.9.6) but
// registers only the components kedasim uses, so it pulls in none of the cloud
// SDKs of upstream cmd/daprd/components (every registration there is one
// init() per file, without build tags in v1.9.6). The start-up sequence follows
// the public-API usage of upstream cmd/daprd/main.go at v1.9.6 (Apache-2.0, see
// NOTICE): runtime.FromFlags, the registries' loggers, rt.Run with the
// registries, then ShutdownWithWait on SIGTERM/SIGINT.
//
// Registered components:
//
//	bindings.rabbitmq (input + output)
//	bindings.kafka    (input + output)
//	pubsub.rabbitmq
//	pubsub.redis      (Redis Streams)
//	pubsub.jetstream
//
// No name resolution component is registered: kedasim's sidecars never invoke
// each other, and daprd 1.9 only logs that none is configured.
package main

import (
	"os"
	"os/signal"
	"syscall"

	"go.uber.org/automaxprocs/maxprocs"

	"github.com/dapr/components-contrib/bindings"
	kafkabinding "github.com/dapr/components-contrib/bindings/kafka"
	rabbitmqbinding "github.com/dapr/components-contrib/bindings/rabbitmq"
	jetstreampubsub "github.com/dapr/components-contrib/pubsub/jetstream"
	rabbitmqpubsub "github.com/dapr/components-contrib/pubsub/rabbitmq"
	redispubsub "github.com/dapr/components-contrib/pubsub/redis"

	bindingsLoader "github.com/dapr/dapr/pkg/components/bindings"
	configurationLoader "github.com/dapr/dapr/pkg/components/configuration"
	lockLoader "github.com/dapr/dapr/pkg/components/lock"
	httpMiddlewareLoader "github.com/dapr/dapr/pkg/components/middleware/http"
	nrLoader "github.com/dapr/dapr/pkg/components/nameresolution"
	pubsubLoader "github.com/dapr/dapr/pkg/components/pubsub"
	secretstoresLoader "github.com/dapr/dapr/pkg/components/secretstores"
	stateLoader "github.com/dapr/dapr/pkg/components/state"
	"github.com/dapr/dapr/pkg/runtime"
	"github.com/dapr/kit/logger"
)

var (
	log        = logger.NewLogger("dapr.runtime")
	logContrib = logger.NewLogger("dapr.contrib")
)

func init() {
	// bindings.rabbitmq (as cmd/daprd/components/binding_rabbitmq.go registers it)
	bindingsLoader.DefaultRegistry.RegisterInputBinding(func(l logger.Logger) bindings.InputBinding {
		return rabbitmqbinding.NewRabbitMQ(l)
	}, "rabbitmq")
	bindingsLoader.DefaultRegistry.RegisterOutputBinding(func(l logger.Logger) bindings.OutputBinding {
		return rabbitmqbinding.NewRabbitMQ(l)
	}, "rabbitmq")

	// bindings.kafka (binding_kafka.go)
	bindingsLoader.DefaultRegistry.RegisterInputBinding(func(l logger.Logger) bindings.InputBinding {
		return kafkabinding.NewKafka(l)
	}, "kafka")
	bindingsLoader.DefaultRegistry.RegisterOutputBinding(func(l logger.Logger) bindings.OutputBinding {
		return kafkabinding.NewKafka(l)
	}, "kafka")

	// pubsub.* (pubsub_rabbitmq.go, pubsub_redis.go, pubsub_jetstream.go)
	pubsubLoader.DefaultRegistry.RegisterComponent(rabbitmqpubsub.NewRabbitMQ, "rabbitmq")
	pubsubLoader.DefaultRegistry.RegisterComponent(redispubsub.NewRedisStreams, "redis")
	pubsubLoader.DefaultRegistry.RegisterComponent(jetstreampubsub.NewJetStream, "jetstream")
}

func main() {
	_, _ = maxprocs.Set()

	// Parses the flags (and handles --version / --build-info itself).
	rt, err := runtime.FromFlags()
	if err != nil {
		log.Fatal(err)
	}

	// The registries hand their Logger to every component factory as-is; a nil
	// logger makes components panic. Upstream sets it on every registry.
	secretstoresLoader.DefaultRegistry.Logger = logContrib
	stateLoader.DefaultRegistry.Logger = logContrib
	configurationLoader.DefaultRegistry.Logger = logContrib
	lockLoader.DefaultRegistry.Logger = logContrib
	pubsubLoader.DefaultRegistry.Logger = logContrib
	nrLoader.DefaultRegistry.Logger = logContrib
	bindingsLoader.DefaultRegistry.Logger = logContrib
	httpMiddlewareLoader.DefaultRegistry.Logger = log

	err = rt.Run(
		runtime.WithSecretStores(secretstoresLoader.DefaultRegistry),
		runtime.WithStates(stateLoader.DefaultRegistry),
		runtime.WithConfigurations(configurationLoader.DefaultRegistry),
		runtime.WithLocks(lockLoader.DefaultRegistry),
		runtime.WithPubSubs(pubsubLoader.DefaultRegistry),
		runtime.WithNameResolutions(nrLoader.DefaultRegistry),
		runtime.WithBindings(bindingsLoader.DefaultRegistry),
		runtime.WithHTTPMiddlewares(httpMiddlewareLoader.DefaultRegistry),
	)
	if err != nil {
		log.Fatalf("fatal error from runtime: %s", err)
	}

	// ShutdownWithWait (pkg/runtime/runtime.go, Shutdown) stops the input
	// bindings and the Dapr API servers at once, waits the full
	// --dapr-graceful-shutdown-seconds, closes the output components and exits.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
	<-stop
	rt.ShutdownWithWait()
}
