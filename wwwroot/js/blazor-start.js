// Starts Blazor's circuit without a negotiation round trip (DESIGN §8). Behind Docker's routing mesh every TCP
// connection may land on another replica; with negotiation, the WebSocket that follows the negotiate request could
// reach a replica that never issued its connection token. WebSockets alone, with skipNegotiation, is one connection
// to one replica. When that replica goes away, the reconnection lands on another, which does not know the circuit and
// rejects it; Blazor then reloads the page by itself, and the sign-in cookie (keys in the shared database) holds.
// A file rather than an inline script: the content security policy allows scripts from 'self' only.
Blazor.start({
    circuit: {
        configureSignalR: builder => builder.withUrl("_blazor", { skipNegotiation: true, transport: 1 /* HttpTransportType.WebSockets */ }),
    },
});
